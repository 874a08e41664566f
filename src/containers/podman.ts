import type { ContainerInspect } from './types.js';

// Podman's Docker-compatible API (4.3, Debian 12) shows a container in a few ways Docker does not; read here as Docker's, so
// the rest of freshen (and a replacement's create request) sees what the user configured. What cannot be read back is in
// docs/rollouts.md (Podman).

/**
 * A container as Podman's compat inspect shows it, read as Docker shows it: a stop timeout the user never set is `0` there,
 * though Podman stops with its default of 10 s (as Docker does), so a 0 means "not set" and the replacement is created without
 * one; taken as given, every stop would kill at once and every replacement would keep that. (Ulimit names and the injected
 * `HOSTNAME` are handled where the replacement is made, replacement.ts, since they are harmless on Docker too.)
 */
/**
 * Why a pod member is left alone: Podman's Docker-compatible API cannot put a new container into a pod, so a replacement
 * would fail and be rolled back (a short outage for nothing).
 */
export const podMemberNote = (name: string, pod: string): string =>
  `${name} is left alone: it is in the Podman pod ${pod}, and Podman's Docker-compatible API cannot recreate a pod's member; update the pod with Podman itself (podman auto-update, or podman kube play --replace)`;

export function fromPodmanInspect(container: ContainerInspect): ContainerInspect {
  if (container.Config.StopTimeout !== 0) return container;
  return { ...container, Config: { ...container.Config, StopTimeout: null } };
}
