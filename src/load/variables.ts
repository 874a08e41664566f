import { checkDuration } from '../model/duration.js';
import { runSecrets } from '../shared/secretText.js';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from './diagnostics.js';
import { resolveInputPath } from './paths.js';
import type { Locator, NodePath } from './yamlSource.js';

/** Where a block of variables came from, so relative paths and secrets resolve and problems point at it. */
export interface VariablesContext {
  locator: Locator;
  /** Relative paths in the variables start here (the inventory's or playbook's directory, or the working directory). */
  baseDir: string;
  env: Record<string, string | undefined>;
}

/** Variables that hold file paths, as paths into the variables. */
export const PATH_VARIABLES: ReadonlyArray<readonly string[]> = [
  ['docker', 'tls', 'ca'],
  ['docker', 'tls', 'cert'],
  ['docker', 'tls', 'key'],
  ['docker', 'identity_file'],
  ['docker', 'known_hosts'],
  ['ssh', 'identity_file'],
  ['ssh', 'known_hosts'],
  ['registry_ca'],
  ['registry_tls', 'ca'],
  ['registry_tls', 'cert'],
  ['registry_tls', 'key'],
  ['registry_certs_dir'],
  ['registry_auth', 'password_file'],
  ...(['ssh', 'docker'] as const).flatMap((endpoint) => [
    [endpoint, 'passphrase_file'],
    [endpoint, 'jump', 'identity_file'],
    [endpoint, 'jump', 'known_hosts'],
    [endpoint, 'jump', 'passphrase_file'],
  ]),
];

const PASSWORD_SOURCES = ['password', 'password_env', 'password_file'] as const;

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A copy of one block of variables (group `vars`, a host entry, play `vars`, `-e`) with file paths made absolute and
 * `registry_auth` given its `password` from `password_env` or `password_file`. The password never appears in a diagnostic.
 */
export function normalizeVariables(vars: unknown, path: NodePath, context: VariablesContext): { vars: Record<string, unknown>; diagnostics: Diagnostic[] } {
  if (!isRecord(vars)) return { vars: {}, diagnostics: [] };
  const copy = structuredClone(vars);
  for (const keys of PATH_VARIABLES) {
    const parent = keys.slice(0, -1).reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), copy);
    const last = keys.at(-1)!;
    if (isRecord(parent) && typeof parent[last] === 'string' && parent[last] !== '') {
      parent[last] = resolveInputPath(parent[last], context.baseDir);
    }
  }
  const diagnostics = isRecord(copy.registry_auth) ? resolvePassword(copy.registry_auth, vars, [...path, 'registry_auth'], context) : [];
  diagnostics.push(...plainTcpDiagnostics(copy, path, context), ...sshPasswordDiagnostics(copy, path, context), ...timeoutDiagnostics(copy, path, context));
  for (const keys of [['ssh'], ['docker'], ['ssh', 'jump'], ['docker', 'jump']]) {
    const endpoint = keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), copy);
    if (isRecord(endpoint)) diagnostics.push(...resolvePassphrase(endpoint, [...path, ...keys], context));
  }
  const tls = copy.registry_tls;
  if (isRecord(tls) && (tls.cert === undefined) !== (tls.key === undefined)) {
    const given = tls.cert !== undefined ? 'cert' : 'key';
    diagnostics.push(
      context.locator.diagnostic(
        [...path, 'registry_tls', given],
        `"registry_tls" has ${given} without ${given === 'cert' ? 'key' : 'cert'}; a client certificate needs both`,
        { at: 'key' },
      ),
    );
  }
  return { vars: copy, diagnostics };
}

/** A file a variable names that cannot be read: which variable, and why, in words. */
export interface UnreadableFile {
  keys: readonly string[];
  message: string;
}

/**
 * The key, certificate, CA and known_hosts files `vars` names (absolute paths) that do not exist or cannot be read. `freshen run`
 * refuses these for its hosts before anything runs; `validate` does not look, since an inventory is often checked on a machine
 * that does not hold its keys.
 */
export function unreadableFiles(vars: Record<string, unknown>): UnreadableFile[] {
  const problems: UnreadableFile[] = [];
  for (const keys of PATH_VARIABLES.filter((k) => k[0] !== 'registry_certs_dir')) {
    // (registry_certs_dir is a directory, and one that does not exist only means Docker has no files for the registry.)
    const value = keys.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), vars);
    if (typeof value !== 'string' || value === '') continue;
    const why = fileProblem(value);
    if (why !== undefined) problems.push({ keys, message: `Cannot read ${keys.join('.')} ${value}: ${why}` });
  }
  return problems;
}

function fileProblem(file: string): string | undefined {
  try {
    if (statSync(file).isDirectory()) return 'it is a directory';
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
  }
}

/** True when a `docker` endpoint is `tcp://` with no TLS files and no explicit `tls: false`. */
export function isUnprotectedTcp(docker: unknown): boolean {
  if (!isRecord(docker) || typeof docker.host !== 'string' || !docker.host.startsWith('tcp://')) return false;
  if (docker.tls === false) return false;
  return !(isRecord(docker.tls) && ['ca', 'cert', 'key'].some((key) => isRecord(docker.tls) && docker.tls[key] !== undefined));
}

/** A `tcp://` engine without TLS would carry the registry password (X-Registry-Auth) in plain text: refused unless said so. */
function plainTcpDiagnostics(vars: Record<string, unknown>, path: NodePath, context: VariablesContext): Diagnostic[] {
  if (!isUnprotectedTcp(vars.docker)) return [];
  return [
    context.locator.diagnostic(
      [...path, 'docker', 'host'],
      'A tcp:// Docker engine without TLS is plain text on the wire, the registry password included; give docker.tls {ca, cert, key}, or tls: false to accept plain text on a network you trust',
    ),
  ];
}

/** Each of `timeouts` must be a duration a timer can hold: above zero, at most about 24 days. */
function timeoutDiagnostics(vars: Record<string, unknown>, path: NodePath, context: VariablesContext): Diagnostic[] {
  if (!isRecord(vars.timeouts)) return [];
  return Object.entries(vars.timeouts).flatMap(([key, value]) => {
    if (typeof value !== 'string' && typeof value !== 'number') return []; // the schema reports the wrong type
    const checked = checkDuration(value, { positive: true });
    return 'problem' in checked ? [context.locator.diagnostic([...path, 'timeouts', key], `"timeouts.${key}" ${checked.problem}`)] : [];
  });
}

/** A password in an `ssh://` engine address would be ignored (freshen's SSH authenticates with keys only): refused, not dropped. */
function sshPasswordDiagnostics(vars: Record<string, unknown>, path: NodePath, context: VariablesContext): Diagnostic[] {
  const host = isRecord(vars.docker) ? vars.docker.host : undefined;
  if (typeof host !== 'string' || !/^ssh:\/\/[^@/]*:[^@/]*@/.test(host)) return [];
  return [
    context.locator.diagnostic(
      [...path, 'docker', 'host'],
      'An ssh:// address takes no password (SSH logs in with a key here): remove ":PASSWORD" from docker.host, and name the key with docker.identity_file (with passphrase_env or passphrase_file if it is encrypted)',
    ),
  ];
}

/** Sets an SSH endpoint's `passphrase` (for an encrypted identity_file) from `passphrase_env` or `passphrase_file`. */
function resolvePassphrase(endpoint: Record<string, unknown>, path: NodePath, context: VariablesContext): Diagnostic[] {
  const { passphrase_env: name, passphrase_file: file } = endpoint;
  if (name !== undefined && file !== undefined) {
    return [
      context.locator.diagnostic([...path, 'passphrase_file'], 'Give the key passphrase one way: passphrase_env or passphrase_file, not both', { at: 'key' }),
    ];
  }
  if (typeof name === 'string') {
    const value = context.env[name];
    if (value === undefined) {
      return [
        context.locator.diagnostic(
          [...path, 'passphrase_env'],
          `The environment variable ${name} (the SSH key's passphrase_env) is not set; export it before running freshen`,
        ),
      ];
    }
    endpoint.passphrase = value;
  } else if (typeof file === 'string') {
    try {
      endpoint.passphrase = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return [
        context.locator.diagnostic([...path, 'passphrase_file'], `Cannot read the passphrase file ${file}: ${code === 'ENOENT' ? 'it does not exist' : code}`),
      ];
    }
  }
  if (endpoint.passphrase !== undefined) runSecrets.add(endpoint.passphrase);
  return [];
}

/** Sets `auth.password` from its one password source; `original` keeps the paths as written, for messages. */
function resolvePassword(auth: Record<string, unknown>, original: Record<string, unknown>, path: NodePath, context: VariablesContext): Diagnostic[] {
  const sources = PASSWORD_SOURCES.filter((key) => auth[key] !== undefined);
  if (sources.length === 0) {
    return [
      context.locator.diagnostic(
        path,
        '"registry_auth" has no password; add password_env: NAME (an environment variable holding it), password_file: PATH, or password',
        { at: 'key' },
      ),
    ];
  }
  if (sources.length > 1) {
    return [
      context.locator.diagnostic([...path, sources[1]!], `"registry_auth" has both "${sources[0]}" and "${sources[1]}"; keep exactly one password source`, {
        at: 'key',
      }),
    ];
  }
  const source = sources[0]!;
  const value = auth[source];
  if (typeof value !== 'string') return []; // the schema reports the wrong type
  if (source === 'password_env') {
    const password = context.env[value];
    if (password === undefined) {
      return [
        context.locator.diagnostic(
          [...path, source],
          `The environment variable ${value} (registry_auth.password_env) is not set; export it before running freshen, or use password_file`,
        ),
      ];
    }
    auth.password = password;
  } else if (source === 'password_file') {
    const written = (original.registry_auth as Record<string, unknown>).password_file as string;
    try {
      auth.password = readFileSync(value, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code;
      return [
        context.locator.diagnostic([...path, source], `Cannot read the password file "${written}" (registry_auth.password_file): ${why}; looked for ${value}`),
      ];
    }
  }
  runSecrets.addCredentials(auth.username, auth.password);
  return [];
}
