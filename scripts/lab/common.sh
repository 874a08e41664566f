# Shared by scripts/lab.sh and its helpers: paths, logging, process and HTTP helpers. Sourced, never run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=${FRESHEN_LAB_DIR:-/tmp/freshen-lab}
LAB_HOSTS=(build1 web1 web2 web3)
REGISTRY_ADDR=127.0.0.1:5055
REGISTRY_HOST=127.0.0.1
REGISTRY_PORT=5055
SSH_PORT=2222
UPSTREAM_REF=$REGISTRY_ADDR/upstream/os:stable
# Repositories that the seed playbook publishes; `up` seeds when any of them lacks :prod.
SEEDED_REPOS=(lab/base lab/web lab/worker)

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

host_dir() { printf '%s/docker/%s' "$LAB" "$1"; }
host_socket() { printf '%s/docker/%s/docker.sock' "$LAB" "$1"; }
# The docker CLI pointed at one lab host's engine; never DOCKER_HOST or a context from the caller's environment.
ldocker() { local h=$1; shift; DOCKER_BUILDKIT=0 docker -H "unix://$(host_socket "$h")" "$@"; }

# cmdline PID: the process's arguments joined by spaces (empty for a zombie or a gone process); bash builtins only,
# because it runs once per process when scanning /proc.
cmdline() {
  local arg args=
  { while IFS= read -r -d '' arg; do args+="$arg "; done; } 2>/dev/null <"/proc/$1/cmdline" || true
  printf '%s' "$args"
}

# pid_of PIDFILE PATTERN: prints the pid when PIDFILE names a live process whose command line contains PATTERN.
# The pattern check is what makes a stale pidfile (dead process, or a reused pid) harmless.
pid_of() {
  local pidfile=$1 pattern=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(tr -cd '0-9' <"$pidfile")
  [[ -n $pid ]] || return 1
  [[ $(cmdline "$pid") == *"$pattern"* ]] || return 1
  printf '%s' "$pid"
}

# stop_pid PIDFILE PATTERN SECONDS: SIGTERM, wait, then SIGKILL; removes the pidfile either way.
stop_pid() {
  local pidfile=$1 pattern=$2 seconds=$3 pid i
  if pid=$(pid_of "$pidfile" "$pattern"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
      [[ -d /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break
      sleep 0.1
    done
    if [[ -d /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# pids_matching PATTERN: live processes whose command line contains PATTERN (always a path inside $LAB).
pids_matching() {
  local pattern=$1 p
  for p in /proc/[0-9]*; do
    [[ $(cmdline "${p#/proc/}") == *"$pattern"* ]] && printf '%s\n' "${p#/proc/}"
  done
  return 0
}

# registry_status METHOD PATH [HEADER...]: the registry's HTTP status code, or 000 when it does not answer.
# Plain bash /dev/tcp so the lab needs no curl.
registry_status() { http_status "$REGISTRY_HOST" "$REGISTRY_PORT" "$@"; }

# http_status HOST PORT METHOD PATH [HEADER...]: the HTTP status code of one plain-HTTP request, or 000.
http_status() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "%s %s HTTP/1.0\r\nHost: %s:%s\r\n" "$3" "$4" "$1" "$2" >&3
    shift 4
    for header in "$@"; do printf "%s\r\n" "$header" >&3; done
    printf "\r\n" >&3
    read -r _ code _ <&3
    printf "%s" "$code"' _ "$@" 2>/dev/null || printf '000'
}

MANIFEST_ACCEPT='Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'

# has_manifest REPO TAG: true when the registry serves REPO:TAG.
has_manifest() { [[ $(registry_status HEAD "/v2/$1/manifests/$2" "$MANIFEST_ACCEPT") == 200 ]]; }

# quietly COMMAND...: runs COMMAND with its output kept back, shown only when it fails (the legacy builder's
# deprecation banner and push progress are noise in the lab's log).
quietly() {
  local output rc=0
  output=$("$@" 2>&1) || rc=$?
  ((rc == 0)) || printf '%s\n' "$output" >&2
  return "$rc"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2s until it succeeds.
wait_for() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "timed out after ${seconds}s waiting for $what"
  return 1
}
