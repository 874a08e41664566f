import { namespacePhrase, networkParentOf, type NamespaceDependent } from './namespaceShare.js';
import type { ContainerInspect } from './types.js';

/** How `start` replaces a container: the old one stops first, or the new one starts (and passes its gate) first. */
export type ReplaceOrder = 'stop-first' | 'start-first';

/** `start`'s `order` option: `auto` takes start-first wherever nothing stops two instances from running side by side. */
export type OrderOption = ReplaceOrder | 'auto';

export const ORDER_OPTIONS: readonly OrderOption[] = ['stop-first', 'start-first', 'auto'];

/** The order a container gets, and why (shown by `--check` and `--diff`). */
export interface OrderChoice {
  order: ReplaceOrder;
  why: string;
}

/** A container that `order: start-first` cannot replace start-first: the host fails before anything changes. */
export class StartFirstRefusedError extends Error {
  readonly code = 'start-first-refused';
}

const hasValue = (value: unknown): boolean => typeof value === 'string' && value !== '';

/** Host ports the container publishes (`8080/tcp`), from its port bindings. */
function publishedPorts(container: ContainerInspect): string[] {
  const bindings = container.HostConfig.PortBindings ?? {};
  return Object.entries(bindings)
    .filter(([, list]) => Array.isArray(list) && list.some((binding) => hasValue((binding as { HostPort?: unknown } | null)?.HostPort)))
    .map(([port]) => port)
    .sort();
}

/** Fixed addresses of the container's endpoints (`--ip`): a second instance cannot have the same one. */
function fixedAddresses(container: ContainerInspect): string[] {
  return Object.values(container.NetworkSettings?.Networks ?? {}).flatMap((endpoint) =>
    Object.entries(endpoint.IPAMConfig ?? {})
      .filter(([key, value]) => key !== 'LinkLocalIPs' && hasValue(value))
      .map(([, value]) => String(value)),
  );
}

const devicesOf = (container: ContainerInspect): string[] =>
  (Array.isArray(container.HostConfig.Devices) ? (container.HostConfig.Devices as Array<{ PathOnHost?: unknown }>) : []).map((device) =>
    typeof device?.PathOnHost === 'string' ? device.PathOnHost : '?',
  );

/**
 * Why two instances of the container cannot run side by side, or undefined when they can. Only what Docker's own configuration
 * says is looked at: shared volumes and application locks are the user's call, which is why start-first is opted into.
 */
export function startFirstObstacle(container: ContainerInspect, dependents: readonly NamespaceDependent[]): string | undefined {
  const ports = publishedPorts(container);
  if (ports.length > 0 || container.HostConfig.PublishAllPorts === true) {
    return ports.length > 0 ? `it publishes host port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}` : 'it publishes all its ports (-P)';
  }
  const mode = container.HostConfig.NetworkMode;
  if (mode === 'host') return "it uses the host's network, where both instances would listen on the same ports";
  const parent = networkParentOf(mode);
  if (parent !== undefined) return `it shares the network namespace of ${parent}, where both instances would listen on the same ports`;
  if (dependents.length > 0) {
    const shares = [...new Set(dependents.flatMap((d) => d.shares))];
    return `${dependents.map((d) => d.name).join(', ')} share${dependents.length > 1 ? '' : 's'} its ${namespacePhrase(shares)}`;
  }
  const devices = devicesOf(container);
  if (devices.length > 0) return `it has the device${devices.length > 1 ? 's' : ''} ${devices.join(', ')}, which one container holds at a time`;
  const addresses = fixedAddresses(container);
  if (addresses.length > 0) return `it has the fixed address${addresses.length > 1 ? 'es' : ''} ${addresses.join(', ')}`;
  return undefined;
}

/**
 * The order for a container that runs and can be replaced either way. `stop-first` is taken as asked; `auto` falls back to it
 * where start-first is unsafe; `start-first` where it is unsafe throws, since the user asked for a container never down.
 */
export function chooseOrder(option: OrderOption, name: string, obstacle: string | undefined): OrderChoice {
  if (option === 'stop-first') return { order: 'stop-first', why: 'order: stop-first' };
  if (obstacle === undefined) return { order: 'start-first', why: `order: ${option}` };
  if (option === 'auto') return { order: 'stop-first', why: `order: auto, and ${obstacle}` };
  throw new StartFirstRefusedError(`${name} cannot be replaced start-first: ${obstacle}; use order: auto or stop-first (nothing was changed)`);
}
