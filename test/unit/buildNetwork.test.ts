// rebuild's `network` option: parsed, validated, and passed to the engine as the build's `networkmode`.
import { describe, expect, it } from 'vitest';
import { buildImageOptions } from '../../src/adapters/engineImages.js';
import { rebuildOptions } from '../../src/steps/imageOptions.js';

describe('rebuild network', () => {
  it.each(['default', 'host', 'none'] as const)('accepts %s', (network) => {
    expect(rebuildOptions({ network }).network).toBe(network);
  });

  it('leaves the engine its default when unset', () => {
    expect('network' in rebuildOptions({})).toBe(false);
  });

  it.each([{ network: 'bridge' }, { network: true }])('rejects $network', (options) => {
    expect(() => rebuildOptions(options)).toThrow(`rebuild "network" must be one of default, host, none, not ${String(options.network)}`);
  });

  it('sends networkmode only when a network is set', () => {
    const signal = new AbortController().signal;
    const request = { tag: 'r/x:prod', noCache: true, labels: {}, buildArgs: {} };
    expect(buildImageOptions({ ...request, network: 'host' }, signal).networkmode).toBe('host');
    expect('networkmode' in buildImageOptions(request, signal)).toBe(false);
  });
});
