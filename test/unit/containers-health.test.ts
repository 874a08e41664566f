import { describe, expect, it } from 'vitest';
import { hasHealthcheck, judgeHealth, type HealthGate } from '../../src/containers/health.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const gate: HealthGate = { healthyTimeoutMs: 60_000, settleMs: 5_000, restartCount: 0 };
const CHECK = { Test: ['CMD-SHELL', 'test -f /tmp/alive'], Interval: 1_000_000_000 };

function seen(state: Partial<ContainerInspect['State']>, extra: { health?: boolean; restarts?: number } = {}): ContainerInspect {
  return {
    Id: 'id',
    Name: '/web',
    Image: 'sha256:2222',
    RestartCount: extra.restarts ?? 0,
    State: { Status: 'running', Running: true, Restarting: false, ...state },
    Config: { Image: '127.0.0.1:5055/lab/web:prod', Healthcheck: extra.health ? CHECK : null },
    HostConfig: {},
  };
}

describe('hasHealthcheck', () => {
  it.each([
    { health: null, has: false },
    { health: { Test: [] }, has: false },
    { health: { Test: ['NONE'] }, has: false },
    { health: { Test: ['CMD', 'true'] }, has: true },
    { health: { Interval: 5 }, has: false },
  ])('$health → $has', ({ health, has }) => {
    expect(hasHealthcheck(health)).toBe(has);
  });
});

describe('judgeHealth', () => {
  it.each([
    {
      name: 'healthcheck: starting is waiting',
      inspect: seen({ Health: { Status: 'starting' } }, { health: true }),
      elapsed: 1_000,
      verdict: { state: 'waiting' },
    },
    {
      name: 'healthcheck: healthy passes at once',
      inspect: seen({ Health: { Status: 'healthy' } }, { health: true }),
      elapsed: 10,
      verdict: { state: 'healthy' },
    },
    {
      name: 'healthcheck: unhealthy fails early, with the last probe',
      inspect: seen(
        {
          Health: {
            Status: 'unhealthy',
            Log: [
              { ExitCode: 1, Output: 'no\n' },
              { ExitCode: 1, Output: 'still no\n' },
            ],
          },
        },
        { health: true },
      ),
      elapsed: 3_000,
      verdict: { state: 'failed', code: 'unhealthy', detail: 'reported unhealthy; last probe exited 1: still no' },
    },
    {
      name: 'healthcheck: a probe without output',
      inspect: seen({ Health: { Status: 'unhealthy', Log: [{ ExitCode: 1, Output: '' }] } }, { health: true }),
      elapsed: 3_000,
      verdict: { state: 'failed', code: 'unhealthy', detail: 'reported unhealthy; last probe exited 1' },
    },
    {
      name: 'healthcheck: still starting at the deadline times out',
      inspect: seen({ Health: { Status: 'starting' } }, { health: true }),
      elapsed: 60_000,
      verdict: { state: 'failed', code: 'health-timeout', detail: 'not healthy after 60000ms (starting)' },
    },
    { name: 'no healthcheck: running before settle is waiting', inspect: seen({}), elapsed: 4_999, verdict: { state: 'waiting' } },
    { name: 'no healthcheck: running through settle passes', inspect: seen({}), elapsed: 5_000, verdict: { state: 'healthy' } },
    {
      name: 'exited',
      inspect: seen({ Status: 'exited', Running: false, ExitCode: 3 }),
      elapsed: 700,
      verdict: { state: 'failed', code: 'exited', detail: 'exited with code 3 after 700ms' },
    },
    {
      name: 'restarting',
      inspect: seen({ Status: 'restarting', Running: true, Restarting: true, ExitCode: 3 }),
      elapsed: 800,
      verdict: { state: 'failed', code: 'exited', detail: 'exited with code 3 and was restarted by its restart policy after 800ms' },
    },
    {
      name: 'brought back by its restart policy between two looks',
      inspect: seen({ ExitCode: 1 }, { restarts: 1 }),
      elapsed: 900,
      verdict: { state: 'failed', code: 'exited', detail: 'exited with code 1 and was restarted by its restart policy after 900ms' },
    },
    {
      name: 'exits even with a healthcheck',
      inspect: seen({ Status: 'exited', Running: false, ExitCode: 0, Health: { Status: 'starting' } }, { health: true }),
      elapsed: 100,
      verdict: { state: 'failed', code: 'exited', detail: 'exited with code 0 after 100ms' },
    },
  ])('$name', ({ inspect, elapsed, verdict }) => {
    expect(judgeHealth(inspect, gate, elapsed)).toEqual(verdict);
  });

  it('measures restarts from the count seen at start', () => {
    expect(judgeHealth(seen({}, { restarts: 4 }), { ...gate, restartCount: 4 }, 6_000)).toEqual({ state: 'healthy' });
  });
});
