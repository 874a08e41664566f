# A single-node Docker Swarm for the `service` step: one more dockerd of the lab's kind (swarm1: own data root, exec root and
# socket, --bridge=none, no iptables) whose engine is a swarm manager listening on 127.0.0.1 only. The routing mesh's
# `ingress` network is removed (this kernel has no IPVS, and nothing may publish ports), and the gateway bridge Swarm gives
# tasks is made beforehand, internal and on an address pool of the lab's own, so nothing of the swarm routes anywhere.
# Not a host of inventories/lab.yml: the tests that use it write their own inventories. Sourced by scripts/lab.sh.

SWARM_HOST=swarm1
SWARM_LISTEN=127.0.0.1:2377

swarm_active() { [[ $(ldocker "$SWARM_HOST" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null) == active ]]; }

swarm_start() { start_dockerd "$SWARM_HOST"; }

# swarm_wait: the engine answers and is an active single-node swarm, initialized once.
swarm_wait() {
  wait_dockerd "$SWARM_HOST"
  swarm_active && return 0
  if ! ldocker "$SWARM_HOST" network inspect docker_gwbridge >/dev/null 2>&1; then
    quietly ldocker "$SWARM_HOST" network create --driver bridge --internal --subnet 10.202.0.0/24 \
      --opt com.docker.network.bridge.name=docker_gwbridge \
      --opt com.docker.network.bridge.enable_icc=false \
      --opt com.docker.network.bridge.enable_ip_masquerade=false \
      docker_gwbridge || die "could not create swarm1's docker_gwbridge"
  fi
  log "initializing the swarm on $SWARM_HOST ($SWARM_LISTEN)"
  quietly ldocker "$SWARM_HOST" swarm init --advertise-addr 127.0.0.1 --listen-addr "$SWARM_LISTEN" \
    --default-addr-pool 10.201.0.0/16 || die "docker swarm init failed on $SWARM_HOST"
  # The CLI asks before removing the routing mesh; the lab has no use for it.
  printf 'y\n' | ldocker "$SWARM_HOST" network rm ingress >/dev/null 2>&1 || true
}

swarm_stop() { stop_dockerd "$SWARM_HOST"; }
