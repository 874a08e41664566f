import type Docker from 'dockerode';
import { UnreachableError, errorMessage, isConnectionError } from './errors.js';
import type { RegistrySettings } from '../model/inventory.js';
import {
  buildProgressLine,
  foldBuildOutput,
  foldTransferOutput,
  withEngineTlsHint,
  type BuildOutcome,
  type EngineMessage,
  type TransferOutcome,
} from './engineOutput.js';

// Thin I/O over dockerode for the build steps: every call maps "could not connect" to UnreachableError.

/** The `X-Registry-Auth` body for pulls and pushes; the engine wants one even for a registry without auth. */
export function registryAuth(settings: RegistrySettings | undefined): Docker.AuthConfig {
  if (!settings) return { serveraddress: '' };
  const auth = settings.auth;
  // The engine does the identity token's OAuth2 exchange itself, as `docker pull` would.
  if (auth?.identityToken !== undefined) return { identitytoken: auth.identityToken, serveraddress: settings.name } as Docker.AuthConfig;
  return auth ? { username: auth.username, password: auth.password, serveraddress: settings.name } : { serveraddress: settings.name };
}

/** The `X-Registry-Config` body for builds (credentials by registry), or undefined without auth. */
export function buildRegistryConfig(settings: RegistrySettings | undefined): Docker.RegistryConfig | undefined {
  if (!settings?.auth) return undefined;
  if (settings.auth.identityToken !== undefined) return { [settings.name]: { identitytoken: settings.auth.identityToken } } as unknown as Docker.RegistryConfig;
  return { [settings.name]: { username: settings.auth.username, password: settings.auth.password } };
}

/** Runs an engine call, turning a connection failure into UnreachableError (the runner reports the host unreachable). */
export async function engineCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConnectionError(error)) throw new UnreachableError(`Docker engine unreachable while ${what}: ${errorMessage(error)}`);
    const hinted = withEngineTlsHint(errorMessage(error));
    if (hinted !== errorMessage(error)) throw Object.assign(new Error(hinted, { cause: error }), { statusCode: (error as { statusCode?: number }).statusCode });
    throw error;
  }
}

/** The local image ID of `ref`, or undefined when the engine has no such image. */
export async function localImageId(docker: Docker, ref: string): Promise<string | undefined> {
  return engineCall(`inspecting ${ref}`, async () => {
    try {
      return (await docker.getImage(ref).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  });
}

/**
 * The one pull: `ref` with registry auth (in a header, never in the URL); resolves to the manifest digest the engine reports.
 * A connection failure is unreachable; a failure the engine reports in its stream throws with the engine's own message.
 */
export async function pullImage(docker: Docker, ref: string, auth: Docker.AuthConfig, signal: AbortSignal): Promise<string | undefined> {
  const outcome = await engineCall(`pulling ${ref}`, async () => {
    const stream = await docker.pull(ref, { authconfig: auth, abortSignal: signal });
    return foldTransferOutput(await readMessages(stream));
  });
  if (outcome.error) throw new Error(`pulling ${ref} failed: ${outcome.error}`);
  return outcome.digest;
}

/** What `buildImage` sends besides the context. */
export interface BuildRequest {
  tag: string;
  noCache: boolean;
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  registryConfig?: Docker.RegistryConfig;
  /** `networkmode` of the build's `RUN` containers; unset: the engine's default. */
  network?: string;
}

/** The query of a classic-builder build: `pull: false` because bases were pulled (or deliberately kept local) beforehand. */
export function buildImageOptions(request: BuildRequest, signal: AbortSignal): Docker.ImageBuildOptions {
  return {
    t: request.tag,
    dockerfile: 'Dockerfile',
    nocache: request.noCache,
    pull: false,
    rm: true,
    forcerm: true,
    labels: request.labels,
    buildargs: request.buildArgs,
    abortSignal: signal,
    ...(request.registryConfig ? { registryconfig: request.registryConfig } : {}),
    ...(request.network ? { networkmode: request.network } : {}),
  };
}

/** Builds from a context tar stream; reports `Step n/m` lines as progress; returns the outcome (an error is a value). */
export async function buildImage(
  docker: Docker,
  context: NodeJS.ReadableStream,
  request: BuildRequest,
  signal: AbortSignal,
  progress: (line: string) => void,
): Promise<BuildOutcome> {
  return engineCall(`building ${request.tag}`, async () => {
    const stream = await docker.buildImage(context, buildImageOptions(request, signal));
    const messages = await readMessages(stream, (message) => {
      const line = buildProgressLine(message);
      if (line) progress(line);
    });
    return foldBuildOutput(messages);
  });
}

export async function tagImage(docker: Docker, imageId: string, ref: string): Promise<void> {
  const at = ref.lastIndexOf(':');
  await engineCall(`tagging ${ref}`, () => docker.getImage(imageId).tag({ repo: ref.slice(0, at), tag: ref.slice(at + 1) }));
}

/** Pushes one tag; the error, if any, comes back as a value. */
export async function pushImage(docker: Docker, ref: string, auth: Docker.AuthConfig, signal: AbortSignal): Promise<TransferOutcome> {
  const at = ref.lastIndexOf(':');
  return engineCall(`pushing ${ref}`, async () => {
    const stream = await docker.getImage(ref.slice(0, at)).push({ tag: ref.slice(at + 1), authconfig: auth, abortSignal: signal });
    return foldTransferOutput(await readMessages(stream));
  });
}

/** Reads a JSON-lines progress stream to its end. */
async function readMessages(stream: NodeJS.ReadableStream, onMessage?: (message: EngineMessage) => void): Promise<EngineMessage[]> {
  const messages: EngineMessage[] = [];
  let buffer = '';
  const take = (line: string) => {
    if (line.trim() === '') return;
    let message: EngineMessage;
    try {
      message = JSON.parse(line) as EngineMessage;
    } catch {
      message = { stream: `${line}\n` };
    }
    messages.push(message);
    onMessage?.(message);
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      take(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  take(buffer);
  return messages;
}
