import type { Engine } from '../../adapters/engine.js';
import { sleep } from '../../shared/sleep.js';
import { judgeHealth, judgeProbe, type HealthGate, type HealthVerdict } from '../../containers/health.js';

// The health gate's I/O: poll inspect (and run the probe) until the pure judges in health.ts decide.

const POLL_MS = 250;
const PROBE_INTERVAL_MS = 1000;

/** The gate's final verdict and how long it took. */
export type GateVerdict = Exclude<HealthVerdict, { state: 'waiting' }> & { elapsedMs: number };

/**
 * Polls a started container until it is judged healthy or failed (`judgeHealth`); with a probe, Docker's part must pass first, then
 * the probe must exit 0 (`judgeProbe`), while the container keeps running.
 */
export async function waitUntilHealthy(engine: Engine, id: string, gate: HealthGate, signal: AbortSignal): Promise<GateVerdict> {
  const started = Date.now();
  let attempts = 0;
  let nextProbeAt = 0;
  for (;;) {
    const inspect = await engine.inspectContainer(id);
    const elapsedMs = Date.now() - started;
    if (!inspect) return { state: 'failed', code: 'exited', detail: 'the container disappeared', elapsedMs };
    const verdict = judgeHealth(inspect, gate, elapsedMs);
    if (verdict.state === 'failed') return { ...verdict, elapsedMs };
    if (verdict.state === 'healthy' && gate.probe === undefined) return { ...verdict, elapsedMs };
    if (verdict.state === 'healthy' && gate.probe !== undefined && Date.now() >= nextProbeAt) {
      attempts += 1;
      nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
      const attempt = await engine.exec(id, gate.probe, Math.max(PROBE_INTERVAL_MS, gate.healthyTimeoutMs - elapsedMs));
      const probed = judgeProbe(gate.probe, attempt, attempts, gate, Date.now() - started);
      // A probe that failed because the container just died is reported as the exit, on the next look.
      if (probed.state === 'healthy') return { ...probed, elapsedMs: Date.now() - started };
      if (probed.state === 'failed' && (await engine.inspectContainer(id))?.State.Running === true) return { ...probed, elapsedMs: Date.now() - started };
    }
    await sleep(POLL_MS, signal);
  }
}
