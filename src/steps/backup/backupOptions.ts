import { resolve } from 'node:path';
import { registrySettings, type RegistrySettings } from '../../model/inventory.js';
import { runSecrets } from '../../shared/secretText.js';
import { OptionError } from '../optionError.js';

/** The other side of a backup: a registry, or an OCI image-layout directory where freshen runs. */
export type BackupEndpoint = { kind: 'registry'; settings: RegistrySettings } | { kind: 'oci_layout'; dir: string };

/** The backup step's options with defaults applied. */
export interface BackupOptions {
  /** `to`: the host's registry is the source; `from`: it is the destination (a restore, or a mirror the other way). */
  direction: 'to' | 'from';
  other: BackupEndpoint;
  /** Globs over repository names; undefined: every repository. */
  repositories?: string[];
  /** Globs over tags; undefined: every tag. */
  tags?: string[];
  /** Upload blobs bigger than this in PATCH chunks of this size; undefined: one streamed PUT per blob. */
  chunkSize?: number;
}

const fail = (message: string, path: ReadonlyArray<string | number> = []): never => {
  throw new OptionError(`backup: ${message}`, path);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function globList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) fail(`${name} must be a list of names or globs`, [name]);
  return value as string[];
}

/** `password_env` and `password_file` are read here, when the step runs; the password never appears in a message. */
function password(auth: Record<string, unknown>, key: 'to' | 'from', reading: Reading): string {
  const { baseDir, env, readText } = reading;
  if (typeof auth.password === 'string') return auth.password;
  if (typeof auth.password_env === 'string') {
    const value = env[auth.password_env];
    return value ?? fail(`the environment variable ${auth.password_env} (${key}.auth.password_env) is not set`, [key, 'auth', 'password_env']);
  }
  if (typeof auth.password_file === 'string') {
    const file = resolve(baseDir, auth.password_file);
    try {
      return readText(file).replace(/\r?\n$/, '');
    } catch (error) {
      return fail(`could not read the password file ${file}: ${(error as { code?: string }).code ?? 'error'}`, [key, 'auth', 'password_file']);
    }
  }
  return fail('auth needs one of password, password_env or password_file', [key, 'auth']);
}

function endpoint(value: unknown, key: 'to' | 'from', reading: Reading): BackupEndpoint {
  const { baseDir } = reading;
  if (!isRecord(value)) return fail(`${key} must be { registry: host:port } or { oci_layout: PATH }`, [key]);
  if (typeof value.oci_layout === 'string' && value.registry === undefined) return { kind: 'oci_layout', dir: resolve(baseDir, value.oci_layout) };
  if (typeof value.registry !== 'string' || value.oci_layout !== undefined) return fail(`${key} must have exactly one of registry or oci_layout`, [key]);
  const auth = isRecord(value.auth)
    ? { username: String(value.auth.username ?? fail(`${key}.auth needs a username`, [key, 'auth'])), password: password(value.auth, key, reading) }
    : undefined;
  if (auth) runSecrets.addCredentials(auth.username, auth.password);
  const settings = registrySettings({
    registry: value.registry,
    registry_url: value.url,
    registry_auth: auth,
    registry_tls: Object.fromEntries(
      (['ca', 'cert', 'key'] as const).filter((k) => typeof value[k] === 'string').map((k) => [k, resolve(baseDir, value[k] as string)]),
    ),
  });
  return { kind: 'registry', settings: settings ?? fail(`${key}.registry must be host:port`, [key, 'registry']) };
}

/** What the parser reads besides the options: relative paths start at `baseDir` (the playbook's directory). */
export interface Reading {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** Reads a password file (the files port's `readTextSync`). */
  readText(path: string): string;
}

/** Applies defaults. Throws on values the schema should have rejected. */
export function parseBackupOptions(options: Record<string, unknown>, reading: Reading): BackupOptions {
  const { to, from, repositories, tags, chunk_size: chunkSize } = options;
  if ((to === undefined) === (from === undefined)) fail('give exactly one of to (back up the host’s registry) or from (restore into it)');
  if (chunkSize !== undefined && (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1)) {
    fail(`chunk_size must be a whole number of bytes ≥ 1, not ${JSON.stringify(chunkSize)}`, ['chunk_size']);
  }
  const direction = to !== undefined ? 'to' : 'from';
  return {
    direction,
    other: endpoint(direction === 'to' ? to : from, direction, reading),
    repositories: globList(repositories, 'repositories'),
    tags: globList(tags, 'tags'),
    chunkSize: chunkSize as number | undefined,
  };
}
