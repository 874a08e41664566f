# A three-node Docker Swarm for the `service` step: swarm1 (the manager), swarm2 and swarm3 (workers). Each is a dockerd
# of the lab's kind (own data root, exec root and socket, --bridge=none, no iptables) inside a network namespace of its own,
# freshen-swarmN, at 10.203.0.1N on a bridge that lives in one more namespace, freshen-swarm-hub. Nothing of the swarm is
# in the machine's own network: the nodes have no route anywhere but that bridge, and the sockets freshen talks to are
# files. The registries the nodes pull from (127.0.0.1:5055, and the ports in SWARM_RELAY_PORTS that tests give their own
# registries) are carried into each namespace's loopback by scripts/lab/loopback-relay.mjs over a unix socket.
# The routing mesh's `ingress` network is removed (this kernel has no IPVS, and nothing may publish ports), and the gateway
# bridge Swarm gives tasks is made beforehand on every node, internal and on an address pool of the lab's own.
# Not hosts of inventories/lab.yml: the tests that use the swarm write their own inventories. Sourced by scripts/lab.sh.

SWARM_HOSTS=(swarm1 swarm2 swarm3)
SWARM_MANAGER=swarm1
SWARM_HUB=freshen-swarm-hub
SWARM_DIR=$LAB/swarm
SWARM_RELAY_SOCKET=$SWARM_DIR/relay.sock
# The lab registry, and ports kept for registries of the tests' own that swarm nodes must reach.
SWARM_RELAY_PORTS=("$REGISTRY_PORT" 5081 5082 5083)
SWARM_RELAY=$HERE/lab/loopback-relay.mjs
for h in "${SWARM_HOSTS[@]}"; do DOCKERD_NETNS[$h]=freshen-$h; done
unset h

swarm_netns() { printf '%s' "${DOCKERD_NETNS[$1]}"; }
swarm_address() { printf '10.203.0.1%s' "${1#swarm}"; }

swarm_state() { ldocker "$1" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeAddr}} {{.Swarm.NodeID}}' 2>/dev/null; }

# swarm_ready_nodes: how many nodes the manager sees ready.
swarm_ready_nodes() { ldocker "$SWARM_MANAGER" node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true; }

swarm_active() { [[ $(swarm_ready_nodes) == "${#SWARM_HOSTS[@]}" ]]; }

# swarm_network: the namespaces, the hub's bridge and one veth pair per node (its inner end renamed eth0). Idempotent.
swarm_network() {
  local h ns
  [[ -e /run/netns/$SWARM_HUB ]] || ip netns add "$SWARM_HUB"
  ip -n "$SWARM_HUB" link show br0 >/dev/null 2>&1 || ip -n "$SWARM_HUB" link add br0 type bridge
  ip -n "$SWARM_HUB" link set br0 up
  ip -n "$SWARM_HUB" link set lo up
  for h in "${SWARM_HOSTS[@]}"; do
    ns=$(swarm_netns "$h")
    [[ -e /run/netns/$ns ]] || ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link show eth0 >/dev/null 2>&1 && continue
    # Halves of a pair a failed run left in this namespace would hold the names.
    ip link del "$h" 2>/dev/null || true
    ip link del "$h-n" 2>/dev/null || true
    ip -n "$SWARM_HUB" link del "$h" 2>/dev/null || true
    ip link add "$h" type veth peer name "$h-n"
    ip link set "$h" netns "$SWARM_HUB"
    ip link set "$h-n" netns "$ns"
    ip -n "$SWARM_HUB" link set "$h" master br0 up
    ip -n "$ns" link set "$h-n" name eth0
    ip -n "$ns" addr add "$(swarm_address "$h")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
}

# start_relay SIDE PIDFILE [NETNS]: one loopback-relay.mjs process unless it runs.
start_relay() {
  local side=$1 pidfile=$2 ns=${3:-}
  pid_of "$pidfile" "$SWARM_RELAY_SOCKET" >/dev/null && return 0
  local -a enter=()
  [[ -n $ns ]] && enter=(nsenter "--net=/run/netns/$ns")
  setsid "${enter[@]}" bash -c 'printf "%s\n" "$$" >"$1"; shift; exec "$@"' _ "$pidfile" \
    node "$SWARM_RELAY" "$side" "$SWARM_RELAY_SOCKET" "${SWARM_RELAY_PORTS[@]}" \
    </dev/null >>"$SWARM_DIR/relay.log" 2>&1 8>&- 9>&- &
}

swarm_start() {
  local h
  mkdir -p "$SWARM_DIR"
  swarm_network
  start_relay outside "$SWARM_DIR/relay-outside.pid"
  for h in "${SWARM_HOSTS[@]}"; do
    start_relay inside "$SWARM_DIR/relay-$h.pid" "$(swarm_netns "$h")"
    start_dockerd "$h"
  done
}

# swarm_gwbridge HOST: the gateway bridge Swarm would otherwise create (routed, masqueraded), made internal beforehand.
swarm_gwbridge() {
  ldocker "$1" network inspect docker_gwbridge >/dev/null 2>&1 && return 0
  quietly ldocker "$1" network create --driver bridge --internal --subnet 10.202.0.0/24 \
    --opt com.docker.network.bridge.name=docker_gwbridge \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.enable_ip_masquerade=false \
    docker_gwbridge || die "could not create the docker_gwbridge of $1"
}

# swarm_manager: swarm1 is the manager of a swarm advertised on its namespace's address, initialized once. A node left
# in another swarm (the lab's earlier single-node swarm on 127.0.0.1) leaves it first.
swarm_manager() {
  local state addr
  read -r state addr _ <<<"$(swarm_state "$SWARM_MANAGER")"
  [[ $state == active && $addr == "$(swarm_address "$SWARM_MANAGER")" ]] && return 0
  [[ $state == inactive ]] || quietly ldocker "$SWARM_MANAGER" swarm leave --force || true
  log "initializing the swarm on $SWARM_MANAGER ($(swarm_address "$SWARM_MANAGER"):2377)"
  quietly ldocker "$SWARM_MANAGER" swarm init --advertise-addr "$(swarm_address "$SWARM_MANAGER")" \
    --listen-addr "$(swarm_address "$SWARM_MANAGER"):2377" --default-addr-pool 10.201.0.0/16 ||
    die "docker swarm init failed on $SWARM_MANAGER"
  # The CLI asks before removing the routing mesh; the lab has no use for it.
  printf 'y\n' | ldocker "$SWARM_MANAGER" network rm ingress >/dev/null 2>&1 || true
}

# swarm_worker HOST: HOST is a worker the manager knows, joined once; a worker of another swarm leaves it first.
swarm_worker() {
  local h=$1 state id token
  read -r state _ id <<<"$(swarm_state "$h")"
  if [[ $state == active || $state == pending ]] && ldocker "$SWARM_MANAGER" node inspect "$id" >/dev/null 2>&1; then return 0; fi
  [[ $state == inactive ]] || quietly ldocker "$h" swarm leave --force || true
  token=$(ldocker "$SWARM_MANAGER" swarm join-token -q worker) || die "could not read the swarm's join token"
  log "joining $h to the swarm"
  quietly ldocker "$h" swarm join --token "$token" --advertise-addr "$(swarm_address "$h")" \
    "$(swarm_address "$SWARM_MANAGER"):2377" || die "docker swarm join failed on $h"
}

# swarm_forget_stale: nodes the manager lists as down that are none of the lab's (left behind by earlier joins).
swarm_forget_stale() {
  local id status h keep
  while read -r id status; do
    [[ $status == Down ]] || continue
    keep=0
    for h in "${SWARM_HOSTS[@]}"; do [[ $(swarm_state "$h" | cut -d' ' -f3) == "$id" ]] && keep=1; done
    ((keep)) || quietly ldocker "$SWARM_MANAGER" node rm --force "$id" || true
  done < <(ldocker "$SWARM_MANAGER" node ls --format '{{.ID}} {{.Status}}')
}

# swarm_wait: every node answers, the swarm has its three nodes, all ready.
swarm_wait() {
  local h
  for h in "${SWARM_HOSTS[@]}"; do
    wait_dockerd "$h"
    swarm_gwbridge "$h"
  done
  swarm_manager
  for h in "${SWARM_HOSTS[@]}"; do [[ $h == "$SWARM_MANAGER" ]] || swarm_worker "$h"; done
  swarm_forget_stale
  wait_for 60 "the swarm's ${#SWARM_HOSTS[@]} nodes to be ready" swarm_active || {
    ldocker "$SWARM_MANAGER" node ls >&2 || true
    die "the swarm is not ready; see $(host_dir "$SWARM_MANAGER")/dockerd.log"
  }
}

swarm_status() {
  local h down=0 state addr
  for h in "${SWARM_HOSTS[@]}"; do
    read -r state addr _ <<<"$(swarm_state "$h")"
    if [[ $state == active ]]; then
      printf '%-16s up    unix://%s (swarm %s, %s)\n' "dockerd $h" "$(host_socket "$h")" "$([[ $h == "$SWARM_MANAGER" ]] && echo manager || echo worker)" "$addr"
    else
      printf '%-16s DOWN  unix://%s\n' "dockerd $h" "$(host_socket "$h")"
      down=1
    fi
  done
  return "$down"
}

swarm_stop() {
  local h
  for h in "${SWARM_HOSTS[@]}"; do stop_dockerd "$h" & done
  wait
  stop_pid "$SWARM_DIR/relay-outside.pid" "$SWARM_RELAY_SOCKET" 5
  for h in "${SWARM_HOSTS[@]}"; do stop_pid "$SWARM_DIR/relay-$h.pid" "$SWARM_RELAY_SOCKET" 5; done
  for h in "${SWARM_HOSTS[@]}"; do ip netns del "$(swarm_netns "$h")" 2>/dev/null || true; done
  ip netns del "$SWARM_HUB" 2>/dev/null || true
}
