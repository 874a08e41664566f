// Podman's compat API as freshen reads it: which engines are Podman, and what their inspect means in Docker's terms (the lab
// test, test/integration/podman.test.ts, replaces a container on Podman for real).
import { describe, expect, it } from 'vitest';
import { isPodmanVersion } from '../../src/adapters/engineApi.js';
import { fromPodmanInspect } from '../../src/containers/podman.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const container = (stopTimeout: number | null | undefined): ContainerInspect =>
  ({
    Id: 'c1',
    Name: '/app',
    Image: 'sha256:1',
    State: { Running: true },
    Config: { Image: 'app', StopTimeout: stopTimeout },
    HostConfig: {},
  }) as ContainerInspect;

describe('Podman', () => {
  it("is known by its version's Podman Engine component; Docker's is not", () => {
    expect(isPodmanVersion({ ApiVersion: '1.41', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] })).toBe(true);
    expect(isPodmanVersion({ ApiVersion: '1.41', Components: [{ Name: 'Engine', Version: '20.10.24' }, { Name: 'containerd' }] })).toBe(false);
    expect(isPodmanVersion({ ApiVersion: '1.41' })).toBe(false);
    expect(isPodmanVersion({ Components: 'Podman' })).toBe(false);
  });

  it("reads an unset stop timeout (0 in Podman's inspect) as not set, and keeps one the user gave", () => {
    expect(fromPodmanInspect(container(0)).Config.StopTimeout).toBeNull();
    expect(fromPodmanInspect(container(30)).Config.StopTimeout).toBe(30);
    const unset = container(undefined);
    expect(fromPodmanInspect(unset)).toBe(unset);
  });
});
