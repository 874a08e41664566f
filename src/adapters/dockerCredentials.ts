import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runSecrets } from '../shared/secretText.js';
import { visibleControls } from '../shared/terminalText.js';

/**
 * Registry credentials where Docker keeps them, read as the Docker CLI reads them, for registries the inventory gives no
 * `registry_auth`: `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), first its `credHelpers` entry for the
 * registry, then `credsStore`, then `auths`. A helper is the program `docker-credential-NAME`, run on this machine with the
 * registry on stdin, answering `{"Username": …, "Secret": …}` on stdout. Whatever is found is registered as a secret.
 */
export interface DockerCredential {
  username: string;
  password: string;
  /** What `docker login` keeps for registries that hand out refresh tokens (Docker Hub, ACR…): used instead of the password. */
  identityToken?: string;
  /** Where it came from, for messages: `credential helper docker-credential-pass`, `auths in ~/.docker/config.json`. */
  source: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerConfigOptions {
  /** The environment that names DOCKER_CONFIG, HOME and PATH (the helper's too). Default: the process's. */
  env?: NodeJS.ProcessEnv;
  /** Longest a helper may take. Default 30 s (cloud helpers ask their metadata service). */
  helperTimeoutMs?: number;
}

/** A helper's name becomes a program name: letters, digits, `-`, `_` and `.` only, so it cannot name a path. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const dockerConfigPath = (env: NodeJS.ProcessEnv = process.env): string =>
  join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');

/** `https://registry.example.org:5000/v1/` → `registry.example.org:5000`, as Docker matches `auths` keys. */
export const registryKey = (key: string): string => key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');

/** The credentials Docker would use for `registry` (`host:port`), or undefined when it has none. */
export async function dockerCredential(registry: string, options: DockerConfigOptions = {}): Promise<DockerCredential | undefined> {
  const env = options.env ?? process.env;
  const path = dockerConfigPath(env);
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as DockerConfigFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(
      `cannot read the Docker config ${path}: ${error instanceof SyntaxError ? 'it is not JSON' : String((error as NodeJS.ErrnoException).code ?? error)}`,
    );
  }
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (typeof helper === 'string' && helper !== '') return fromHelper(helper, registry, env, options.helperTimeoutMs ?? 30_000);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => registryKey(key) === registry)?.[1];
  if (entry === undefined) return undefined;
  const source = `auths in ${path}`;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return identity(entry.identitytoken, source);
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return registered(entry.username, entry.password, source);
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new Error(`the auths entry for ${registry} in ${path} is not base64 of user:password`);
    return registered(decoded.slice(0, colon), decoded.slice(colon + 1), source);
  }
  return undefined;
}

/** An identity token, kept secret; Docker sends no user name with one (the token names the user). */
function identity(token: string, source: string): DockerCredential {
  runSecrets.add(token);
  return { username: '<token>', password: '', identityToken: token, source };
}

function registered(username: string, password: string, source: string): DockerCredential {
  runSecrets.addCredentials(username, password);
  return { username, password, source };
}

/** Runs `docker-credential-NAME get` with the registry on stdin, as the credential helper protocol says. */
function fromHelper(name: string, registry: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DockerCredential | undefined> {
  const program = `docker-credential-${name}`;
  if (!HELPER_NAME.test(name))
    return Promise.reject(new Error(`the Docker config names the credential helper "${visibleControls(name.slice(0, 64))}", which is not a helper name`));
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const said = visibleControls(`${stdout}${stderr}`.trim().split('\n').at(-1)?.slice(0, 200) ?? '');
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new Error(`the Docker config names the credential helper ${program}, which is not on PATH`));
        // The helpers' own words for "nothing stored for this registry".
        if (/credentials not found|not found in native keychain|no credentials/i.test(said)) return resolve(undefined);
        if (error.killed) return reject(new Error(`the credential helper ${program} did not answer within ${timeoutMs / 1000} s`));
        return reject(new Error(`the credential helper ${program} failed for ${registry}${said !== '' ? `: ${runSecrets.redact(said)}` : ''}`));
      }
      let answer: { Username?: unknown; Secret?: unknown };
      try {
        answer = JSON.parse(stdout) as typeof answer;
      } catch {
        return reject(new Error(`the credential helper ${program} answered something that is not JSON for ${registry}`));
      }
      if (typeof answer.Username !== 'string' || typeof answer.Secret !== 'string') {
        return reject(new Error(`the credential helper ${program} answered without Username and Secret for ${registry}`));
      }
      // The helper protocol's way of saying the secret is an identity token.
      if (answer.Username === '<token>') return resolve(identity(answer.Secret, `credential helper ${program}`));
      resolve(registered(answer.Username, answer.Secret, `credential helper ${program}`));
    });
    // A helper that exits without reading its stdin (or never started) must not crash freshen with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(registry);
  });
}

const cache = new Map<string, Promise<DockerCredential | undefined>>();

/** `dockerCredential`, asked once per registry per run (a helper may prompt a keychain or call a cloud API). */
export function cachedDockerCredential(registry: string): Promise<DockerCredential | undefined> {
  let pending = cache.get(registry);
  if (pending === undefined) {
    pending = dockerCredential(registry);
    cache.set(registry, pending);
  }
  return pending;
}

/** Forgets what `cachedDockerCredential` asked: the next run in this process reads the Docker config again. */
export function forgetDockerCredentials(): void {
  cache.clear();
}

/** `settings` with credentials from the Docker config when the inventory gave none (for the engine's X-Registry-Auth). */
export async function withDockerCredentials<T extends { name: string; auth?: { username: string; password: string } }>(
  settings: T | undefined,
): Promise<T | undefined> {
  if (settings === undefined || settings.auth !== undefined) return settings;
  const found = await cachedDockerCredential(settings.name);
  if (found === undefined) return settings;
  const auth = { username: found.username, password: found.password, ...(found.identityToken !== undefined ? { identityToken: found.identityToken } : {}) };
  return { ...settings, auth };
}
