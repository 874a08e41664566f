import { describe, expect, it } from 'vitest';
import { chooseOrder, startFirstObstacle, StartFirstRefusedError } from '../../src/containers/startOrder.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const container = (hostConfig: Record<string, unknown> = {}, networks: Record<string, unknown> = {}): ContainerInspect => ({
  Id: 'a'.repeat(64),
  Name: '/web',
  Image: 'sha256:1',
  State: { Status: 'running', Running: true },
  Config: { Image: 'r/web:prod' },
  HostConfig: { NetworkMode: 'bridge', ...hostConfig },
  NetworkSettings: { Networks: networks as NonNullable<ContainerInspect['NetworkSettings']>['Networks'] },
});

describe('startFirstObstacle', () => {
  it.each([
    { name: 'nothing in the way', c: container(), dependents: [], expected: undefined },
    {
      name: 'an exposed port without a host binding',
      c: container({ PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } }),
      dependents: [],
      expected: undefined,
    },
    {
      name: 'host ports',
      c: container({ PortBindings: { '8080/tcp': [{ HostPort: '8080' }], '53/udp': [{ HostPort: '53' }] } }),
      dependents: [],
      expected: 'it publishes host ports 53/udp, 8080/tcp',
    },
    { name: '-P', c: container({ PublishAllPorts: true }), dependents: [], expected: 'it publishes all its ports (-P)' },
    {
      name: 'host network',
      c: container({ NetworkMode: 'host' }),
      dependents: [],
      expected: "it uses the host's network, where both instances would listen on the same ports",
    },
    {
      name: 'joins another namespace',
      c: container({ NetworkMode: 'container:db' }),
      dependents: [],
      expected: 'it shares the network namespace of db, where both instances would listen on the same ports',
    },
    {
      name: 'dependents',
      c: container(),
      dependents: [{ id: 'x', name: 'sidecar', running: true, shares: ['network' as const] }],
      expected: 'sidecar shares its network namespace',
    },
    {
      name: 'dependents of other namespaces',
      c: container(),
      dependents: [
        { id: 'x', name: 'tracer', running: true, shares: ['pid' as const] },
        { id: 'y', name: 'shm', running: true, shares: ['ipc' as const, 'pid' as const] },
      ],
      expected: 'tracer, shm share its PID and IPC namespaces',
    },
    {
      name: 'devices',
      c: container({ Devices: [{ PathOnHost: '/dev/ttyUSB0' }] }),
      dependents: [],
      expected: 'it has the device /dev/ttyUSB0, which one container holds at a time',
    },
    {
      name: 'a fixed address',
      c: container({}, { app: { IPAMConfig: { IPv4Address: '10.1.0.5' } } }),
      dependents: [],
      expected: 'it has the fixed address 10.1.0.5',
    },
    { name: 'link-local addresses only', c: container({}, { app: { IPAMConfig: { LinkLocalIPs: ['169.254.1.1'] } } }), dependents: [], expected: undefined },
  ])('$name', ({ c, dependents, expected }) => {
    expect(startFirstObstacle(c, dependents)).toBe(expected);
  });
});

describe('chooseOrder', () => {
  it('stop-first is taken as asked, whatever the container', () => {
    expect(chooseOrder('stop-first', 'web', 'it publishes host port 80/tcp')).toEqual({ order: 'stop-first', why: 'order: stop-first' });
  });
  it('start-first and auto take start-first where nothing is in the way', () => {
    expect(chooseOrder('start-first', 'web', undefined)).toEqual({ order: 'start-first', why: 'order: start-first' });
    expect(chooseOrder('auto', 'web', undefined)).toEqual({ order: 'start-first', why: 'order: auto' });
  });
  it('auto falls back to stop-first and says why', () => {
    expect(chooseOrder('auto', 'web', 'it publishes host port 80/tcp')).toEqual({ order: 'stop-first', why: 'order: auto, and it publishes host port 80/tcp' });
  });
  it('start-first refuses with the reason and a failure code', () => {
    const refuse = () => chooseOrder('start-first', 'web', 'it publishes host port 80/tcp');
    expect(refuse).toThrow(StartFirstRefusedError);
    expect(refuse).toThrow('web cannot be replaced start-first: it publishes host port 80/tcp; use order: auto or stop-first (nothing was changed)');
    try {
      refuse();
    } catch (error) {
      expect((error as StartFirstRefusedError).code).toBe('start-first-refused');
    }
  });
});
