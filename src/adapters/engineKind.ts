import type Docker from 'dockerode';

/** Clients whose engine is Podman's compatible API (connectDocker records them): its inspect needs reading as Docker's (containers/podman.ts). */
const podmanEngines = new WeakSet<Docker>();

export const markPodmanEngine = (docker: Docker): void => void podmanEngines.add(docker);

export const isPodmanEngine = (docker: Docker): boolean => podmanEngines.has(docker);
