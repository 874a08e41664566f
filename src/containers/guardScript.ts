import { shellQuote } from '../shared/shellQuote.js';
import { GUARD_RULES, type GuardAction, type GuardRule, type NameState, type Role } from './replacementProtocol.js';

// The host-side guard: a POSIX sh loop freshen leaves on a host before it parks any container there. It waits until a deadline
// that freshen keeps pushing back while it works on the host; once the deadline passes (freshen died, or lost the host), it puts
// back every parked container whose replacement does not serve, and exits. It only stops and renames: it never removes a
// container, an image or a volume. These functions only build the shell text; src/adapters/hostGuard.ts runs it.

/** A container the guard watches, by its original name. */
export interface GuardedContainer {
  name: string;
  /** Whether it ran before freshen touched it: a restored one is started only then. */
  running: boolean;
}

/** Where the guards' state lives on the host, as a shell expression: one directory per placement, `KEY.NONCE`. */
const GUARD_BASE = '"${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/freshen-guard-$(id -u)"';

/** Docker container names are `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, so a name is one word of the names file and safe in the script. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The shell variable each name of a replacement is in, inside `restore`. */
const SHELL_VAR: Record<Role, string> = { name: '$name', parked: '$old', spare: '$new' };

/** A log text in double quotes: the rules' texts are plain words, so nothing in them may expand but the names. */
function shellText(text: string): string {
  if (/["$`\\]/.test(text)) throw new Error(`a guard log text must not hold shell syntax: ${text}`);
  return `"${text.replace(/\{(name|parked|spare)\}/g, (_, role: Role) => SHELL_VAR[role])}"`;
}

function shellCondition(role: Role, state: NameState | 'present'): string {
  const who = `"${SHELL_VAR[role]}"`;
  switch (state) {
    case 'missing':
      return `! exists ${who}`;
    case 'present':
      return `exists ${who}`;
    case 'serves':
      return `serves ${who}`;
    case 'down':
      return `{ exists ${who} && ! serves ${who}; }`;
  }
}

function shellAction(action: GuardAction): string {
  switch (action.do) {
    case 'log':
      return `log ${shellText(action.text)}`;
    case 'stop': {
      const stop = `docker stop${action.timeoutSeconds === undefined ? '' : ` -t ${action.timeoutSeconds}`} "${SHELL_VAR[action.who]}" >/dev/null 2>&1`;
      return action.logged === undefined ? stop : `${stop} && log ${shellText(action.logged)}`;
    }
    case 'rename': {
      const rename = `docker rename "${SHELL_VAR[action.from]}" "${SHELL_VAR[action.to]}" || { log ${shellText(action.failed)}; return 0; }`;
      return action.logged === undefined ? rename : `${rename}\n    log ${shellText(action.logged)}`;
    }
    case 'start-if-it-ran':
      return [
        'if [ "$running" = 1 ]; then',
        `      if docker start "$name" >/dev/null; then log "restored $name and started it"; else log "restored $name but it did not start"; fi`,
        '    else',
        '      log "restored $name (it was not running)"',
        '    fi',
      ].join('\n');
  }
}

const shellRule = (rule: GuardRule): string => {
  const conditions = (Object.entries(rule.when) as Array<[Role, NameState | 'present']>).map(([role, state]) => shellCondition(role, state));
  return [
    `  # ${rule.id}: ${rule.why}`,
    `  if ${conditions.length === 0 ? 'true' : conditions.join(' && ')}; then`,
    ...rule.then.map((action) => `    ${shellAction(action)}`),
    '    return 0',
    '  fi',
  ].join('\n');
};

/** `restore NAME RUNNING`: GUARD_RULES in shell, first match wins (replacementProtocol.ts). */
const restoreFunction = (): string =>
  ['restore() {', '  name=$1 running=$2 old="$1.freshen-old" new="$1.freshen-new"', ...GUARD_RULES.map(shellRule), '}'].join('\n');

/**
 * The guard itself, run as `sh guard.sh DIR`. `DIR/deadline` holds the host's epoch second after which it acts; `DIR/names`
 * one `NAME RUNNING` line per container. Removing `DIR` releases it. What it did goes to `KEY.log` beside `DIR` (`KEY.NONCE`),
 * which outlives it.
 */
export const GUARD_SCRIPT = `dir=$1
log() { printf "%s %s\\n" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >> "\${dir%.*}.log"; }
exists() { docker inspect --type container "$1" >/dev/null 2>&1; }
# Running, and healthy when the image has a health check.
serves() {
  case $(docker inspect --type container -f "{{.State.Running}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}" "$1" 2>/dev/null) in
    true/ | true/healthy) return 0 ;;
  esac
  return 1
}
${restoreFunction()}
echo $$ > "$dir/pid"
log "guarding $(tr "\\n" " " < "$dir/names")"
while [ -d "$dir" ]; do
  deadline=$(cat "$dir/deadline" 2>/dev/null) || deadline=
  if [ -n "$deadline" ] && [ "$(date +%s)" -ge "$deadline" ]; then
    log "deadline passed: freshen did not come back"
    while read -r name running; do
      [ -n "$name" ] && restore "$name" "$running"
    done < "$dir/names"
    rm -rf "$dir"
    exit 0
  fi
  sleep 1
done
log "released"
`;

/** Sets `DIR/deadline` to the host's clock plus `seconds`, atomically (the guard may read it at any moment). */
const writeDeadline = (seconds: number): string =>
  `echo $(( $(date +%s) + ${Math.ceil(seconds)} )) > "$dir/deadline.next" && mv -f "$dir/deadline.next" "$dir/deadline"`;

/**
 * The command that places the guard for the host `key`, in a directory of this placement's own (`nonce`), and prints that
 * directory. Guards of earlier placements for the host are stopped first: the run placing this one is the live run now, and a
 * killed run's guard must not act in the middle of it (what it was doing, if anything, the new run's start settles).
 * `dockerHost` is the engine as the host itself reaches it. Exit 3: the host has no docker command.
 */
export function placeGuardCommand(key: string, nonce: string, dockerHost: string, containers: readonly GuardedContainer[], deadlineSeconds: number): string {
  for (const { name } of containers) if (!CONTAINER_NAME.test(name)) throw new Error(`not a container name: ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]+$/.test(key) || !/^[0-9a-f]+$/.test(nonce)) throw new Error('the guard key and nonce are hex');
  const names = containers.map(({ name, running }) => `${name} ${running ? 1 : 0}`);
  return [
    'set -e',
    'command -v docker >/dev/null 2>&1 || { echo "the host has no docker command" >&2; exit 3; }',
    `base=${GUARD_BASE}`,
    'mkdir -p -m 700 "$base"',
    // A pid reused by another program is not a guard: a guard's command line holds its directory, thus `freshen-guard`.
    `for old in "$base"/${key}.*/; do`,
    '  [ -d "$old" ] || continue',
    '  pid=$(cat "$old/pid" 2>/dev/null || true)',
    '  if [ -n "$pid" ] && grep -q freshen-guard "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi',
    '  rm -rf "$old"',
    'done',
    `dir="$base/${key}.${nonce}"`,
    'mkdir "$dir"',
    `printf "%s\\n" ${names.map(shellQuote).join(' ')} > "$dir/names"`,
    writeDeadline(deadlineSeconds),
    `cat > "$dir/guard.sh" <<'FRESHEN_GUARD'\n${GUARD_SCRIPT}FRESHEN_GUARD`,
    `export DOCKER_HOST=${shellQuote(dockerHost)}`,
    'detach=; command -v setsid >/dev/null 2>&1 && detach=setsid',
    'nohup $detach sh "$dir/guard.sh" "$dir" >/dev/null 2>&1 </dev/null &',
    'echo "$dir"',
  ].join('\n');
}

/** Pushes the guard's deadline back: freshen is still working on the host. Exit 4: the guard is gone (it acted, or was removed). */
export const renewGuardCommand = (dir: string, deadlineSeconds: number): string =>
  [`dir=${shellQuote(dir)}`, '[ -d "$dir" ] || exit 4', writeDeadline(deadlineSeconds)].join('\n');

/** Releases the guard: freshen has finished the host. The guard sees its directory gone and exits within a second. */
export const releaseGuardCommand = (dir: string): string => `rm -rf ${shellQuote(dir)}`;
