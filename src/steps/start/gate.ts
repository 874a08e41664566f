import type Docker from 'dockerode';
import { errorMessage } from '../../adapters/errors.js';
import { inspectContainer } from '../../adapters/engineContainers.js';
import { judgeHealth, judgeProbe, type HealthGate, type HealthVerdict, type ProbeAttempt } from '../../containers/health.js';
import { demuxLogs } from '../../containers/logs.js';

// The health gate's I/O: poll inspect (and run the probe) until the pure judges in health.ts decide.

const POLL_MS = 250;
const PROBE_INTERVAL_MS = 1000;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `cmd` in a running container (`docker exec`, no TTY, no stdin) and waits at most `timeoutMs` for it to finish. A command
 * that outlives the deadline is abandoned (the Engine API cannot kill an exec); it dies with its container if that is rolled back.
 */
export async function execProbe(docker: Docker, id: string, cmd: string[], timeoutMs: number): Promise<ProbeAttempt> {
  let timer: NodeJS.Timeout | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  const run = async (): Promise<ProbeAttempt> => {
    const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? undefined, output: demuxLogs(Buffer.concat(chunks), false) };
  };
  const deadline = new Promise<ProbeAttempt>((resolve) => {
    timer = setTimeout(() => resolve({ output: '', error: `it did not finish within ${timeoutMs}ms` }), timeoutMs);
  });
  try {
    return await Promise.race([run().catch((error: unknown) => ({ output: '', error: `it could not run: ${errorMessage(error)}` })), deadline]);
  } finally {
    clearTimeout(timer);
    (stream as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

/** The gate's final verdict and how long it took. */
export type GateVerdict = Exclude<HealthVerdict, { state: 'waiting' }> & { elapsedMs: number };

/**
 * Polls a started container until it is judged healthy or failed (`judgeHealth`); with a probe, Docker's part must pass first, then
 * the probe must exit 0 (`judgeProbe`), while the container keeps running.
 */
export async function waitUntilHealthy(docker: Docker, id: string, gate: HealthGate, signal: AbortSignal): Promise<GateVerdict> {
  const started = Date.now();
  let attempts = 0;
  let nextProbeAt = 0;
  for (;;) {
    const inspect = await inspectContainer(docker, id);
    const elapsedMs = Date.now() - started;
    if (!inspect) return { state: 'failed', code: 'exited', detail: 'the container disappeared', elapsedMs };
    const verdict = judgeHealth(inspect, gate, elapsedMs);
    if (verdict.state === 'failed') return { ...verdict, elapsedMs };
    if (verdict.state === 'healthy' && gate.probe === undefined) return { ...verdict, elapsedMs };
    if (verdict.state === 'healthy' && gate.probe !== undefined && Date.now() >= nextProbeAt) {
      attempts += 1;
      nextProbeAt = Date.now() + PROBE_INTERVAL_MS;
      const attempt = await execProbe(docker, id, gate.probe, Math.max(PROBE_INTERVAL_MS, gate.healthyTimeoutMs - elapsedMs));
      const probed = judgeProbe(gate.probe, attempt, attempts, gate, Date.now() - started);
      // A probe that failed because the container just died is reported as the exit, on the next look.
      if (probed.state === 'healthy') return { ...probed, elapsedMs: Date.now() - started };
      if (probed.state === 'failed' && (await inspectContainer(docker, id))?.State.Running === true) return { ...probed, elapsedMs: Date.now() - started };
    }
    await sleep(POLL_MS, signal);
  }
}
