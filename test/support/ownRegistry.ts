// A registry of a test's own (docker-registry serve, own config, data dir and 127.0.0.1 port), for tests that stop it,
// make it read-only or fill and sweep it, away from the shared lab registry. `ctl` is a shell script the lab sshd can run:
//   ctl start | stop | readonly on|off   (readonly rewrites the config and restarts, as `scripts/lab.sh registry readonly` does)
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface OwnRegistry {
  /** `127.0.0.1:PORT`, the image prefix. */
  name: string;
  url: string;
  dir: string;
  /** The storage root (`rootdirectory`). */
  dataDir: string;
  config: string;
  /** Path of the control script. */
  ctl: string;
  /** Runs the control script here (not over SSH); rejects on failure. */
  run(...args: string[]): Promise<string>;
  /** The serving process's pid, or undefined when stopped. */
  pid(): Promise<string | undefined>;
  /** Stops it and deletes its directory. */
  destroy(): Promise<void>;
}

/** A user of an htpasswd-protected registry: distribution accepts only bcrypt (this hash, cost 5, was made once with crypt(3)). */
export const HTPASSWD_USER = {
  username: 't-adapters',
  password: 't-adapters-pw',
  line: 't-adapters:$2y$05$zfXR6aRSKXPC7CD825hxHeMydLGrHr4PGV3.x6qt5f7yvbZTx65PC',
};

/** TLS for a registry of the test's own: its certificate and key, and (for mutual TLS) the CA its clients' certificates need. */
export interface OwnRegistryTls {
  certificate: string;
  key: string;
  clientCa?: string;
}

const httpConfig = (addr: string, tls: OwnRegistryTls | undefined): string =>
  tls === undefined
    ? `http: { addr: ${addr} }`
    : `http: { addr: ${addr}, tls: { certificate: ${tls.certificate}, key: ${tls.key}${tls.clientCa !== undefined ? `, clientcas: [${tls.clientCa}]` : ''} } }`;

/** Token authentication (`auth.token`) in front of a registry of the test's own: see tokenServer.ts. */
export interface OwnRegistryToken {
  realm: string;
  service: string;
  issuer: string;
  rootcertbundle: string;
}

const authConfig = (htpasswd: boolean, token: OwnRegistryToken | undefined): string =>
  token !== undefined
    ? `auth: { token: { realm: "${token.realm}", service: ${token.service}, issuer: ${token.issuer}, rootcertbundle: ${token.rootcertbundle} } }`
    : htpasswd
      ? 'auth: { htpasswd: { realm: own, path: $DIR/htpasswd } }'
      : '';

/** A registry that listens inside a network namespace (test/support/netns.ts) on that namespace's address. */
export interface OwnRegistryNetns {
  name: string;
  address: string;
}

const script = (
  dir: string,
  addr: string,
  htpasswd: boolean,
  tls?: OwnRegistryTls,
  token?: OwnRegistryToken,
  netns?: OwnRegistryNetns,
): string => `#!/usr/bin/env bash
set -euo pipefail
DIR=${dir}
ADDR=${addr}
config() {
  cat >"$DIR/config.yml" <<YAML
version: 0.1
log: { level: info, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: $DIR/data }
  delete: { enabled: true }
  maintenance: { readonly: { enabled: $1 } }
  cache: { blobdescriptor: inmemory }
${httpConfig('$ADDR', tls)}
${authConfig(htpasswd, token)}
YAML
}
answers() { ${tls !== undefined ? `timeout 2 bash -c 'exec 3<>"/dev/tcp/\${1%:*}/\${1#*:}"' _ "$ADDR" 2>/dev/null` : `timeout 2 bash -c 'exec 3<>"/dev/tcp/\${1%:*}/\${1#*:}" && printf "GET /v2/ HTTP/1.0\\r\\n\\r\\n" >&3 && read -r _ code _ <&3 && [[ $code == ${htpasswd || token !== undefined ? 401 : 200} ]]' _ "$ADDR" 2>/dev/null`}; }
pid() { [[ -s $DIR/pid ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null && cat "$DIR/pid"; }
start() {
  # Not \`pid || setsid … &\`: that backgrounds a subshell which keeps the caller's stdout open for the registry's lifetime.
  if ! pid >/dev/null; then
    setsid ${netns !== undefined ? `ip netns exec ${netns.name} ` : ''}bash -c 'printf "%s\\n" "$$" >"$1/pid"; exec docker-registry serve "$1/config.yml"' _ "$DIR" </dev/null >>"$DIR/registry.log" 2>&1 &
  fi
  for _ in $(seq 150); do answers && return 0; sleep 0.1; done
  echo "registry on $ADDR did not answer; see $DIR/registry.log" >&2; exit 1
}
stop() {
  local p; p=$(pid) || return 0
  kill -TERM "$p"
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || { rm -f "$DIR/pid"; return 0; }; sleep 0.1; done
  kill -KILL "$p"; rm -f "$DIR/pid"
}
case \${1:-} in
  start) [[ -f $DIR/config.yml ]] || config false; start ;;
  stop) stop ;;
  readonly) case \${2:-} in on) config true ;; off) config false ;; *) exit 2 ;; esac; stop; start ;;
  *) echo "usage: $0 start|stop|readonly on|off" >&2; exit 2 ;;
esac
`;

/** Starts a registry of the test's own on a free loopback port; with `htpasswd`, only HTPASSWD_USER gets in. */
export async function startOwnRegistry(
  prefix: string,
  options: { htpasswd?: boolean; tls?: OwnRegistryTls; token?: OwnRegistryToken; netns?: OwnRegistryNetns; port?: number } = {},
): Promise<OwnRegistry> {
  // Short and under /tmp: the lab sshd runs as root on this machine and reaches it.
  const dir = await mkdtemp(join('/tmp', `${prefix}-`));
  // A namespace of the test's own has every port free.
  const name = options.netns !== undefined ? `${options.netns.address}:5443` : `127.0.0.1:${options.port ?? (await freePort())}`;
  const ctl = join(dir, 'ctl');
  await writeFile(ctl, script(dir, name, options.htpasswd === true, options.tls, options.token, options.netns));
  if (options.htpasswd) await writeFile(join(dir, 'htpasswd'), `${HTPASSWD_USER.line}\n`);
  await chmod(ctl, 0o755);
  const run = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) =>
      execFile('bash', [ctl, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`${ctl} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
  await run('start');
  const pid = async (): Promise<string | undefined> => {
    const text = await readFile(join(dir, 'pid'), 'utf8').catch(() => '');
    return text.trim() || undefined;
  };
  return {
    name,
    url: `${options.tls !== undefined ? 'https' : 'http'}://${name}`,
    dir,
    dataDir: join(dir, 'data'),
    config: join(dir, 'config.yml'),
    ctl,
    run,
    pid,
    destroy: async () => {
      await run('stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
