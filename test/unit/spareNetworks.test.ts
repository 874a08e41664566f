import { describe, expect, it } from 'vitest';
import { aliasedEndpoints, withoutAliases } from '../../src/containers/spareNetworks.js';
import type { ContainerCreateOptions, NetworkConnection } from '../../src/containers/types.js';

const spec: ContainerCreateOptions = {
  name: 'web.freshen-new',
  Image: 'r/web:prod',
  HostConfig: { NetworkMode: 'front' },
  NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['web-svc'], Links: ['db:db'] } } },
};
const networks: NetworkConnection[] = [
  { network: 'back', EndpointConfig: { Aliases: ['api'] } },
  { network: 'metrics', EndpointConfig: {} },
];

describe('a start-first replacement’s networks', () => {
  it('is created on every network with every setting but the aliases', () => {
    const bare = withoutAliases(spec, networks);
    expect(bare.spec.NetworkingConfig).toEqual({ EndpointsConfig: { front: { Links: ['db:db'] } } });
    expect(bare.spec.HostConfig).toEqual(spec.HostConfig);
    expect(bare.networks).toEqual([
      { network: 'back', EndpointConfig: {} },
      { network: 'metrics', EndpointConfig: {} },
    ]);
    // The input is not changed: the full spec is what the replacement joins with later.
    expect(spec.NetworkingConfig!.EndpointsConfig.front!.Aliases).toEqual(['web-svc']);
  });

  it('joins the aliases, with the rest of each endpoint, only where there are aliases', () => {
    expect(aliasedEndpoints(spec, networks)).toEqual([
      { network: 'front', EndpointConfig: { Aliases: ['web-svc'], Links: ['db:db'] } },
      { network: 'back', EndpointConfig: { Aliases: ['api'] } },
    ]);
    expect(aliasedEndpoints({ ...spec, NetworkingConfig: undefined }, [])).toEqual([]);
  });
});
