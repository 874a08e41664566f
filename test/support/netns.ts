// A network namespace of a test's own, joined to this one by a veth pair on 198.18.x.0/30 (the benchmarking range, never
// routed). It gives a registry an address that is not loopback but stays on this machine: Docker treats 127.0.0.0/8 as an
// insecure registry and then ignores /etc/docker/certs.d, so engine-side TLS can only be tested on an address like this.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const ip = (...args: string[]) => promisify(execFile)('ip', args);

export interface Netns {
  name: string;
  /** The namespace's end of the pair: where servers started with `ip netns exec NAME` listen. */
  address: string;
  destroy(): Promise<void>;
}

/** Creates namespace `name` (at most 13 characters: the veth names add two) with `198.18.SUBNET.2`, reached from here via `.1`. */
export async function createNetns(name: string, subnet: number): Promise<Netns> {
  const [outside, inside] = [`${name}-h`, `${name}-n`];
  const destroy = async (): Promise<void> => {
    await ip('link', 'del', outside).catch(() => undefined);
    await ip('netns', 'del', name).catch(() => undefined);
  };
  // A namespace left by a killed run would hold the names.
  await destroy();
  const address = `198.18.${subnet}.2`;
  await ip('netns', 'add', name);
  await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
  await ip('link', 'set', inside, 'netns', name);
  await ip('addr', 'add', `198.18.${subnet}.1/30`, 'dev', outside);
  await ip('link', 'set', outside, 'up');
  await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', inside);
  await ip('-n', name, 'link', 'set', inside, 'up');
  await ip('-n', name, 'link', 'set', 'lo', 'up');
  return { name, address, destroy };
}
