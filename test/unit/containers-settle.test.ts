import { describe, expect, it } from 'vitest';
import { NameConflictError, settleParked } from '../../src/containers/settle.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const REF = '127.0.0.1:5055/lab/web:prod';
const OLD = 'sha256:1111';
const NEW = 'sha256:2222';

function container(name: string, { image = NEW, ref = REF, running = true } = {}): ContainerInspect {
  return {
    Id: `${name}-id`,
    Name: `/${name}`,
    Image: image,
    State: { Status: running ? 'running' : 'exited', Running: running },
    Config: { Image: ref },
    HostConfig: {},
  };
}

const parked = container('web.freshen-old', { image: OLD, running: false });
const base = {
  name: 'web',
  parkedAs: 'web.freshen-old',
  ref: REF,
  parkedId: 'web.freshen-old-id',
  order: { order: 'stop-first', why: 'parked by an interrupted run' },
};

describe('settleParked', () => {
  it.each([
    { name: 'nothing under the name: replace', existing: undefined, startAfter: true, expected: { ...base, startAfter: true, action: 'replace' } },
    {
      name: 'running the current image: adopt',
      existing: container('web'),
      startAfter: true,
      expected: { ...base, startAfter: true, action: 'adopt', leftoverId: 'web-id' },
    },
    {
      name: 'created but stopped: redo',
      existing: container('web', { running: false }),
      startAfter: true,
      expected: { ...base, startAfter: true, action: 'redo', leftoverId: 'web-id' },
    },
    {
      name: 'running an image older than the current one: redo',
      existing: container('web', { image: 'sha256:1500' }),
      startAfter: true,
      expected: { ...base, startAfter: true, action: 'redo', leftoverId: 'web-id' },
    },
    {
      name: 'running, but the original was stopped: redo, to leave it stopped',
      existing: container('web'),
      startAfter: false,
      expected: { ...base, startAfter: false, action: 'redo', leftoverId: 'web-id' },
    },
  ])('$name', ({ existing, startAfter, expected }) => {
    expect(settleParked(parked, existing, startAfter, NEW)).toEqual(expected);
  });

  it('does not adopt when the reference names no local image', () => {
    expect(settleParked(parked, container('web'), true, undefined).action).toBe('redo');
  });

  it('refuses a container of another image under the name', () => {
    const squatter = container('web', { ref: '127.0.0.1:5055/lab/other:prod' });
    expect(() => settleParked(parked, squatter, true, NEW)).toThrow(NameConflictError);
    expect(() => settleParked(parked, squatter, true, NEW)).toThrow(
      `web exists and runs 127.0.0.1:5055/lab/other:prod, not ${REF} like web.freshen-old; resolve by hand (nothing was changed)`,
    );
  });
});
