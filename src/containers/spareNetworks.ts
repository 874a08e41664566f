import type { ContainerCreateOptions, EndpointSpec, NetworkConnection } from './types.js';

// A start-first replacement runs beside the container it replaces. Docker's DNS answers a network alias with every container
// that has it, from the moment a container starts, ready or not: a replacement created with the old one's aliases would take
// requests during its health wait. So it is created without them (still reachable by its own name) and joins them once it
// passed its gate. Measured on the lab: clients resolving the alias saw no failed request that way, and a timeout without it.

/** The replacement's create spec and networks without any alias. */
export function withoutAliases(spec: ContainerCreateOptions, networks: NetworkConnection[]): { spec: ContainerCreateOptions; networks: NetworkConnection[] } {
  const strip = ({ Aliases: _aliases, ...endpoint }: EndpointSpec): EndpointSpec => endpoint;
  const endpoints = spec.NetworkingConfig?.EndpointsConfig;
  return {
    spec:
      endpoints === undefined
        ? spec
        : { ...spec, NetworkingConfig: { EndpointsConfig: Object.fromEntries(Object.entries(endpoints).map(([n, e]) => [n, strip(e)])) } },
    networks: networks.map(({ network, EndpointConfig }) => ({ network, EndpointConfig: strip(EndpointConfig) })),
  };
}

/** The networks where the replacement must join aliases once it passed its gate, with the endpoint settings to join with. */
export function aliasedEndpoints(spec: ContainerCreateOptions, networks: NetworkConnection[]): NetworkConnection[] {
  const primary = Object.entries(spec.NetworkingConfig?.EndpointsConfig ?? {}).map(([network, EndpointConfig]) => ({ network, EndpointConfig }));
  return [...primary, ...networks].filter(({ EndpointConfig }) => (EndpointConfig.Aliases ?? []).length > 0);
}
