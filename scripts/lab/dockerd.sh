# One isolated dockerd per lab host, each with its own data root, exec root (so its own containerd) and socket.
# Sourced by scripts/lab.sh.

dockerd_pattern() { printf 'unix://%s' "$(host_socket "$1")"; }
containerd_pattern() { printf '%s/x/containerd/' "$(host_dir "$1")"; }

dockerd_answers() { ldocker "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# stop_leftover_containerd HOST: a containerd (and its shims) that outlived its dockerd would be adopted by the
# next dockerd, but one whose socket or pidfile went stale makes startup fail; stop them so dockerd starts clean.
stop_leftover_containerd() {
  local dir pid
  dir=$(host_dir "$1")
  [[ -e $dir/x/containerd ]] || return 0
  stop_pid "$dir/x/containerd/containerd.pid" "$dir/x/containerd/containerd.toml" 10
  for pid in $(pids_matching "$dir/x/containerd/containerd.toml"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/x/containerd/containerd.sock" "$dir/x/containerd/containerd.sock.ttrpc" \
    "$dir/x/containerd/containerd-debug.sock" "$dir/x/metrics.sock"
  [[ -n $(pids_matching "-address $dir/x/containerd/containerd.sock") ]] || kill_orphan_containers "$1"
}

# kill_orphan_containers HOST: container processes whose shims were killed with their dockerd keep running with
# no one to stop them; the host's container IDs find them in the cgroup tree (cgroup v1 or v2, cgroupfs or systemd).
kill_orphan_containers() {
  local dir id procs pid
  dir=$(host_dir "$1")
  for id in "$dir"/data/containers/*/; do
    id=${id%/}
    id=${id##*/}
    [[ $id =~ ^[0-9a-f]{64}$ ]] || continue
    for procs in /sys/fs/cgroup/*/docker/"$id"/cgroup.procs /sys/fs/cgroup/docker/"$id"/cgroup.procs \
      /sys/fs/cgroup/*/docker-"$id".scope/cgroup.procs; do
      [[ -r $procs ]] || continue
      while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$procs"
    done
  done
}

# DOCKERD_NETNS[HOST]: the network namespace (a name under /run/netns) a host's dockerd runs in; none means this one.
# swarm.sh names its nodes'.
declare -A DOCKERD_NETNS=()

# netns_of PID: the network namespace a process is in, as /proc shows it (net:[INODE]).
netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null; }

# start_dockerd HOST: starts the host's dockerd unless it runs; does not wait. In a network namespace of its own
# (DOCKERD_NETNS) it gets a mount and UTS namespace too, so its hostname is HOST: `ip netns exec` would not do, it
# remounts /sys, which hides the cgroup hierarchy dockerd needs. One running in the wrong namespace is restarted.
start_dockerd() {
  local h=$1 dir pid ns=${DOCKERD_NETNS[$1]:-} want
  local -a enter=()
  want=$(netns_of self)
  if [[ -n $ns ]]; then
    enter=(nsenter "--net=/run/netns/$ns" unshare --mount --uts --propagation private -- bash -c 'hostname "$0" && exec "$@"' "$h")
    want="net:[$(stat -L -c %i "/run/netns/$ns")]"
  fi
  dir=$(host_dir "$h")
  if pid=$(pid_of "$dir/docker.pid" "$(dockerd_pattern "$h")"); then
    [[ $(netns_of "$pid") == "$want" ]] && return 0
    log "restarting dockerd $h in its network namespace${ns:+ $ns}"
    stop_pid "$dir/docker.pid" "$(dockerd_pattern "$h")" 30
  fi
  mkdir -p "$dir/data" "$dir/x"
  rm -f "$dir/docker.pid"
  stop_leftover_containerd "$h"
  # A config file of its own so /etc/docker/daemon.json (hosts, registries, …) cannot leak into the lab, and a key
  # of its own (not the shared /etc/docker/key.json) so each engine has its own ID.
  printf '{ "deprecated-key-path": "%s/key.json" }\n' "$dir" >"$dir/daemon.json"
  log "starting dockerd $h"
  setsid "${enter[@]}" dockerd \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" \
    --exec-root "$dir/x" \
    -H "unix://$dir/docker.sock" \
    --pidfile "$dir/docker.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false \
    --shutdown-timeout=5 \
    </dev/null >>"$dir/dockerd.log" 2>&1 8>&- 9>&- &
}

# wait_dockerd HOST: until `docker version` answers; fails early (with the log's tail) when dockerd died.
wait_dockerd() {
  local h=$1 dir i
  dir=$(host_dir "$h")
  for ((i = 0; i < 300; i++)); do
    dockerd_answers "$h" && return 0
    if ((i > 10)) && ! pid_of "$dir/docker.pid" "$(dockerd_pattern "$h")" >/dev/null &&
      [[ -z $(pids_matching "$(dockerd_pattern "$h")") ]]; then
      tail -n 20 "$dir/dockerd.log" >&2
      die "dockerd $h exited; see $dir/dockerd.log"
    fi
    sleep 0.2
  done
  tail -n 20 "$dir/dockerd.log" >&2
  die "dockerd $h did not answer within 60s; see $dir/dockerd.log"
}

stop_dockerd() {
  local h=$1 dir
  dir=$(host_dir "$h")
  # Containers that outlived a killed dockerd (their shims still run) are stopped properly only by a dockerd.
  if ! pid_of "$dir/docker.pid" "$(dockerd_pattern "$h")" >/dev/null &&
    [[ -n $(pids_matching "-address $dir/x/containerd/containerd.sock") ]]; then
    start_dockerd "$h"
    wait_dockerd "$h"
  fi
  # dockerd stops its containers (5s shutdown timeout) and its containerd before exiting.
  stop_pid "$dir/docker.pid" "$(dockerd_pattern "$h")" 30
  stop_leftover_containerd "$h"
}
