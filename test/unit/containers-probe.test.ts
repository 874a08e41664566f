import { describe, expect, it } from 'vitest';
import { judgeProbe, showCommand } from '../../src/containers/health.js';
import { probeCommand, startOptions } from '../../src/containers/rolloutOptions.js';

describe('probeCommand', () => {
  it.each([
    { raw: undefined, argv: undefined },
    { raw: 'wget -q -O- http://127.0.0.1:8080/up', argv: ['sh', '-c', 'wget -q -O- http://127.0.0.1:8080/up'] },
    { raw: ['/app/healthcheck', '--ready'], argv: ['/app/healthcheck', '--ready'] },
  ])('$raw → $argv', ({ raw, argv }) => {
    expect(probeCommand(raw)).toEqual(argv);
  });

  it.each([{ raw: '' }, { raw: '  ' }, { raw: [] }, { raw: [''] }, { raw: ['ok', 3] }, { raw: 7 }, { raw: { cmd: 'x' } }])('rejects $raw', ({ raw }) => {
    expect(() => probeCommand(raw)).toThrow(/^probe: not a command/);
  });

  it('start options: defaults, and the probe only when given', () => {
    expect(startOptions({})).toEqual({ healthyTimeoutMs: 60_000, settleMs: 5_000, parallel: 4, order: 'stop-first', drainMs: 2_000 });
    expect(startOptions({ healthy_timeout: '2m', settle: 1, probe: 'true' })).toEqual({
      healthyTimeoutMs: 120_000,
      settleMs: 1_000,
      parallel: 4,
      order: 'stop-first',
      drainMs: 2_000,
      probe: ['sh', '-c', 'true'],
    });
  });
});

describe('showCommand', () => {
  it.each([
    { argv: ['sh', '-c', 'test -f /tmp/ready'], shown: `sh -c 'test -f /tmp/ready'` },
    { argv: ['/bin/check', '--port=8080'], shown: '/bin/check --port=8080' },
    { argv: ['sh', '-c', `echo 'hi'`], shown: `sh -c 'echo '\\''hi'\\'''` },
  ])('$shown', ({ argv, shown }) => {
    expect(showCommand(argv)).toBe(shown);
  });
});

describe('judgeProbe', () => {
  const probe = ['sh', '-c', 'test -f /tmp/ready'];
  const gate = { healthyTimeoutMs: 10_000 };
  it.each([
    { name: 'exit 0 passes', attempt: { exitCode: 0, output: '' }, attempts: 1, elapsed: 20_000, verdict: { state: 'healthy' } },
    { name: 'a failure before the deadline is retried', attempt: { exitCode: 1, output: '' }, attempts: 3, elapsed: 9_999, verdict: { state: 'waiting' } },
    {
      name: 'a probe that cannot run yet is retried',
      attempt: { output: '', error: 'it could not run: conflict' },
      attempts: 1,
      elapsed: 100,
      verdict: { state: 'waiting' },
    },
    {
      name: 'at the deadline the last attempt is the reason, with its last output lines',
      attempt: { exitCode: 2, output: 'line 1\n\nline 2\nline 3\nno /tmp/ready\n' },
      attempts: 10,
      elapsed: 10_000,
      verdict: {
        state: 'failed',
        code: 'probe-failed',
        detail: `did not pass the probe \`sh -c 'test -f /tmp/ready'\` within 10000ms (10 attempts; last: exited 2: line 2 / line 3 / no /tmp/ready)`,
      },
    },
    {
      name: 'a probe that hung',
      attempt: { output: '', error: 'it did not finish within 1000ms' },
      attempts: 1,
      elapsed: 11_000,
      verdict: {
        state: 'failed',
        code: 'probe-failed',
        detail: `did not pass the probe \`sh -c 'test -f /tmp/ready'\` within 10000ms (1 attempt; last: it did not finish within 1000ms)`,
      },
    },
  ])('$name', ({ attempt, attempts, elapsed, verdict }) => {
    expect(judgeProbe(probe, attempt, attempts, gate, elapsed)).toEqual(verdict);
  });
});
