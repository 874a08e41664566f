import { describe, expect, it } from 'vitest';
import { demuxLogs, lastLines } from '../../src/containers/logs.js';
import { startOptions, stopOptions, stopTimeoutSeconds } from '../../src/containers/rolloutOptions.js';

const frame = (stream: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('demuxLogs', () => {
  it('joins stdout and stderr frames in order', () => {
    const body = Buffer.concat([frame(1, 'starting\n'), frame(2, 'boom: no config\n'), frame(1, 'bye\n')]);
    expect(demuxLogs(body, false)).toBe('starting\nboom: no config\nbye\n');
  });
  it('keeps a TTY body as it is', () => {
    expect(demuxLogs(Buffer.from('raw\r\noutput\r\n'), true)).toBe('raw\r\noutput\r\n');
  });
  it('keeps a body that is not framed', () => {
    expect(demuxLogs('plain text\n', false)).toBe('plain text\n');
  });
});

describe('lastLines', () => {
  it('keeps the last non-empty lines', () => {
    expect(lastLines('a\n\nb\r\nc\nd\n', 3)).toEqual(['b', 'c', 'd']);
    expect(lastLines('', 20)).toEqual([]);
  });
});

describe('options', () => {
  it.each([
    { options: {}, own: undefined, seconds: 10 },
    { options: {}, own: 42, seconds: 42 },
    { options: {}, own: 0, seconds: 0 },
    { options: { timeout: '90s' }, own: 42, seconds: 90 },
    { options: { timeout: '1500ms' }, own: undefined, seconds: 2 },
    { options: { timeout: 3 }, own: undefined, seconds: 3 },
  ])('stop timeout $options with the container’s $own → $seconds s', ({ options, own, seconds }) => {
    expect(stopTimeoutSeconds(stopOptions(options), own)).toBe(seconds);
  });

  it('defaults start to 60s healthy timeout and 5s settle', () => {
    expect(startOptions({})).toEqual({ healthyTimeoutMs: 60_000, settleMs: 5_000, parallel: 4, order: 'stop-first', drainMs: 2_000 });
    expect(startOptions({ healthy_timeout: '2m', settle: '1500ms', parallel: 1 })).toEqual({
      healthyTimeoutMs: 120_000,
      settleMs: 1_500,
      parallel: 1,
      order: 'stop-first',
      drainMs: 2_000,
    });
    expect(startOptions({ order: 'auto', drain: '500ms' })).toMatchObject({ order: 'auto', drainMs: 500 });
    expect(() => startOptions({ order: 'first' })).toThrow('order: one of stop-first, start-first, auto, not "first"');
  });

  it('rejects a malformed duration with its key', () => {
    expect(() => startOptions({ settle: 'soon' })).toThrow('"settle" is not a duration: "soon"');
    expect(() => stopOptions({ timeout: true })).toThrow('"timeout" is not a duration: true');
    expect(() => stopOptions({ guard_deadline: '1s' })).toThrow('"guard_deadline" must be at least 2.0s, not "1s"');
    expect(() => startOptions({ drain: '25d' })).toThrow('"drain" is "25d", longer than the 24 days freshen can wait');
  });
});
