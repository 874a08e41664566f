#!/usr/bin/env bash
# The freshen lab: everything freshen needs, on 127.0.0.1 under ${FRESHEN_LAB_DIR:-/tmp/freshen-lab}.
#   four isolated dockerds (build1 web1 web2 web3), a three-node swarm (swarm1..3, in network namespaces), a current engine (docker.io from Debian unstable, in a chroot),
#   a registry on 127.0.0.1:5055, an sshd on 127.0.0.1:2222, Podman's Docker-compatible API,
#   the upstream OS image, the seeded lab/* images, containers on web1..web3, and inventories/lab.yml.
# Used by the demo, the integration tests (vitest globalSetup) and CI. Safe to run twice; `up` calls serialize.
set -euo pipefail
# The daemons started here outlive the caller: they must not keep its session's runtime directory or its temporary
# directory, which runc would then use for its exec files (every health-check probe) and which go away with the caller (an
# integration test file has one of each of its own).
unset XDG_RUNTIME_DIR TMPDIR

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
source "$HERE/lab/common.sh"
source "$HERE/lab/install.sh"
source "$HERE/lab/dockerd.sh"
source "$HERE/lab/registry.sh"
source "$HERE/lab/sshd.sh"
source "$HERE/lab/content.sh"
source "$HERE/lab/inventory.sh"
source "$HERE/lab/debian.sh"
source "$HERE/lab/current.sh"
source "$HERE/lab/swarm.sh"
source "$HERE/lab/podman.sh"

usage() {
  cat <<'USAGE'
usage: scripts/lab.sh COMMAND
  up                        install what is missing (as root), start everything, seed, create containers
  status                    print each service and whether it answers; non-zero if any is down
  down                      stop everything (images, containers and registry data stay)
  reset                     down, then delete the lab directory
  install                   install the Debian packages the lab needs, then debian-fetch (the network part)
  registry start|stop|restart
  registry readonly on|off  read-only mode (pulls only) for a safe gc sweep; restarts the registry
  publish-upstream [LEVEL]  push upstream/os:stable with the next (or given) patch level
  debian-fetch              network: debootstrap Debian bookworm without its updates (once) and fill the loopback
                            Debian mirror with its indexes and pending upgrades (cached in /var/cache/freshen-lab)
  debian [--force]          serve that mirror on 127.0.0.1:5058 and push the rootfs as upstream/debian:bookworm
environment: FRESHEN_LAB_DIR (default /tmp/freshen-lab), FRESHEN_LAB_SKIP_SEED=1,
             FRESHEN_LAB_SEED=docker (seed with plain docker builds instead of freshen)
USAGE
}

[[ $LAB == /* && $LAB != / ]] || die "FRESHEN_LAB_DIR must be an absolute path other than /, not '$LAB'"
# The deepest socket must fit a unix socket path (108 bytes).
longest_socket="$LAB/docker/build1/x/containerd/containerd.sock.ttrpc"
((${#longest_socket} < 108)) || die "FRESHEN_LAB_DIR is too long for unix socket paths: '$LAB'"

# with_lock lab|registry: serializes lab commands; the registry has its own lock so gc's `registry stop` over SSH
# never waits for an `up` that is seeding. Fixed descriptors (8, 9) so daemons can be started without them.
with_lock() {
  local fd
  case $1 in lab) fd=8 ;; registry) fd=9 ;; esac
  mkdir -p "$LAB"
  eval "exec $fd>\"\$LAB/.\$1.lock\""
  flock -n "$fd" && return 0
  log "waiting for another scripts/lab.sh to finish (lock $LAB/.$1.lock)"
  flock -w 900 "$fd" || die "another scripts/lab.sh still holds $LAB/.$1.lock after 15 minutes"
}

require_root() {
  ((EUID == 0)) || die "scripts/lab.sh $1 needs root (dockerd and sshd run as root)"
}

cmd_up() {
  local started=$SECONDS h
  ensure_packages
  require_root up
  with_lock lab
  mkdir -p "$LAB/tmp" "$LAB/shared"
  for h in "${LAB_HOSTS[@]}"; do start_dockerd "$h"; done
  swarm_start
  current_start
  (with_lock registry && registry_start)
  sshd_start
  podman_start
  for h in "${LAB_HOSTS[@]}"; do wait_dockerd "$h"; done
  podman_wait
  swarm_wait
  current_wait
  write_inventory
  has_manifest upstream/os stable || publish_upstream 1 >/dev/null
  local seeded=1
  if needs_seed; then seed || seeded=0; fi
  if ((seeded)); then
    local -a jobs=()
    container_args
    for h in "$LAB/containers"/*; do ensure_containers "${h##*/}" & jobs+=($!); done
    for h in "${jobs[@]}"; do wait "$h" || die "could not bring up the lab containers (see above)"; done
  fi
  log "up in $((SECONDS - started))s; inventory: $LAB_INVENTORY"
}

cmd_status() {
  local down=0 h
  for h in "${LAB_HOSTS[@]}"; do
    if dockerd_answers "$h"; then printf '%-16s up    unix://%s\n' "dockerd $h" "$(host_socket "$h")"
    else printf '%-16s DOWN  unix://%s\n' "dockerd $h" "$(host_socket "$h")"; down=1; fi
  done
  swarm_status || down=1
  if current_answers; then printf '%-16s up    unix://%s\n' "current engine" "$CURRENT_SOCKET"
  else printf '%-16s DOWN  unix://%s\n' "current engine" "$CURRENT_SOCKET"; down=1; fi
  if mirror_answers; then printf '%-16s up    http://%s/debian\n' "debian mirror" "$MIRROR_ADDR"
  else printf '%-16s off   http://%s/debian (scripts/lab.sh debian starts it)\n' "debian mirror" "$MIRROR_ADDR"; fi
  if registry_answers; then printf '%-16s up    http://%s/v2/\n' registry "$REGISTRY_ADDR"
  else printf '%-16s DOWN  http://%s/v2/\n' registry "$REGISTRY_ADDR"; down=1; fi
  if podman_answers; then printf '%-16s up    unix://%s\n' podman "$PODMAN_SOCKET"
  else printf '%-16s DOWN  unix://%s\n' podman "$PODMAN_SOCKET"; down=1; fi
  if [[ -f $SSH_KEY ]] && sshd_answers 2>/dev/null; then printf '%-16s up    root@127.0.0.1:%s\n' sshd "$SSH_PORT"
  else printf '%-16s DOWN  root@127.0.0.1:%s\n' sshd "$SSH_PORT"; down=1; fi
  return "$down"
}

cmd_down() {
  local h
  require_root down
  with_lock lab
  for h in "${LAB_HOSTS[@]}"; do stop_dockerd "$h" & done
  current_stop &
  swarm_stop &
  mirror_stop &
  podman_stop &
  wait
  (with_lock registry && registry_stop)
  sshd_stop
  log "down"
}

# unmount_leftovers: overlay and netns mounts that a killed dockerd left under the lab, deepest first.
unmount_leftovers() {
  local mountpoint
  awk -v lab="$LAB/" 'index($2, lab) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mountpoint; do
    umount -l "$mountpoint" 2>/dev/null || true
  done
}

cmd_reset() {
  cmd_down
  unmount_leftovers
  # The current engine's chroot binds /dev, /proc and /sys: never delete through a mount that survived.
  if awk -v lab="$LAB/" 'index($2, lab) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    die "mounts under $LAB are still in place; not deleting it"
  fi
  rm -rf --one-file-system "$LAB"
  log "removed $LAB"
}

cmd_registry() {
  require_root "registry ${1:-}"
  with_lock registry
  case ${1:-} in
    start) registry_start ;;
    stop) registry_stop ;;
    restart) registry_stop && registry_start ;;
    readonly) registry_readonly "${2:-}" ;;
    *) usage >&2; exit 2 ;;
  esac
}

cmd_publish_upstream() {
  require_root publish-upstream
  with_lock lab
  registry_answers || die "the registry does not answer on $REGISTRY_ADDR; run scripts/lab.sh up first"
  dockerd_answers "$BUILDER" || die "dockerd $BUILDER does not answer; run scripts/lab.sh up first"
  publish_upstream "${1:-}"
}

case ${1:-} in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  reset) cmd_reset ;;
  install) ensure_packages && cmd_debian_fetch ;;
  registry) cmd_registry "${2:-}" "${3:-}" ;;
  publish-upstream) cmd_publish_upstream "${2:-}" ;;
  debian) cmd_debian "${2:-}" ;;
  debian-fetch) cmd_debian_fetch ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
