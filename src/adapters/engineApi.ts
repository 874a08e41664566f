/**
 * Engine API version negotiation, as the Docker CLI does it: ask the engine (unversioned) which versions it speaks, then use the
 * highest version both sides speak. Pinning one version broke every pinned client when Engine 29 stopped accepting API < 1.44;
 * negotiating keeps freshen working on Debian 12's 20.10 (API 1.41) and on current engines alike.
 */

/** The oldest Engine API freshen speaks: Docker 20.10's. */
export const CLIENT_API_MIN = '1.41';
/** The newest Engine API freshen speaks: the newest it is tested against (docker.io 28 from Debian unstable). */
export const CLIENT_API_MAX = '1.51';

/** What an engine's unversioned `GET /version` says of its API. */
export interface EngineVersionInfo {
  ApiVersion?: unknown;
  MinAPIVersion?: unknown;
  Version?: unknown;
  Components?: unknown;
}

/** Whether the engine is Podman's Docker-compatible API (its version names a `Podman Engine` component). */
export const isPodmanVersion = (info: EngineVersionInfo): boolean =>
  Array.isArray(info.Components) &&
  info.Components.some((c) => typeof (c as { Name?: unknown })?.Name === 'string' && /podman/i.test((c as { Name: string }).Name));

/** `1.41` < `1.5` < `1.51`: versions compare by number, part by part. */
export function compareApiVersions(a: string, b: string): number {
  const [ma, na] = a.split('.').map(Number) as [number, number];
  const [mb, nb] = b.split('.').map(Number) as [number, number];
  return ma !== mb ? ma - mb : (na ?? 0) - (nb ?? 0);
}

const API_VERSION = /^\d+\.\d+$/;

/**
 * The version to speak with an engine: the lower of the two maxima, unless that is below either side's minimum. An engine that
 * does not say its minimum is taken to accept anything down to ours (engines before 1.25 did not report it).
 */
export function negotiateApiVersion(info: EngineVersionInfo): { version: string } | { problem: string } {
  const serverMax = typeof info.ApiVersion === 'string' && API_VERSION.test(info.ApiVersion) ? info.ApiVersion : undefined;
  if (serverMax === undefined) return { problem: `it did not say which Engine API it speaks (/version has no usable ApiVersion)` };
  const serverMin = typeof info.MinAPIVersion === 'string' && API_VERSION.test(info.MinAPIVersion) ? info.MinAPIVersion : CLIENT_API_MIN;
  const version = compareApiVersions(serverMax, CLIENT_API_MAX) < 0 ? serverMax : CLIENT_API_MAX;
  const floor = compareApiVersions(serverMin, CLIENT_API_MIN) > 0 ? serverMin : CLIENT_API_MIN;
  if (compareApiVersions(version, floor) < 0) {
    const engine = typeof info.Version === 'string' ? ` (Docker ${info.Version.slice(0, 40)})` : '';
    return {
      problem: `it speaks Engine API ${serverMin} to ${serverMax}${engine} and freshen speaks ${CLIENT_API_MIN} to ${CLIENT_API_MAX}: no version in common`,
    };
  }
  return { version };
}
