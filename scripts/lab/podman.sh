# Podman's Docker-compatible API on a socket of the lab's own: rootful, runc, cgroupfs, overlay storage under the lab, pulls
# from the lab registry over plain HTTP. An engine for the Podman tests (test/integration/podman.test.ts), not an inventory
# host. Sourced by scripts/lab.sh.

PODMAN_DIR=$LAB/podman
PODMAN_SOCKET=$PODMAN_DIR/podman.sock
PODMAN_PID=$PODMAN_DIR/podman.pid

# The configuration Podman reads, all of it the lab's: nothing under /etc/containers is used or changed.
write_podman_config() {
  mkdir -p "$PODMAN_DIR"
  cat >"$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "$PODMAN_DIR/run"
graphroot = "$PODMAN_DIR/root"
CONF
  # No systemd here: events go to a file, and healthchecks (systemd timers) never run, so the tests use images without one.
  cat >"$PODMAN_DIR/containers.conf" <<CONF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
  cat >"$PODMAN_DIR/registries.conf" <<CONF
unqualified-search-registries = []
[[registry]]
location = "$REGISTRY_ADDR"
insecure = true
CONF
}

podman_answers() { [[ -S $PODMAN_SOCKET ]] && curl -sf --max-time 5 --unix-socket "$PODMAN_SOCKET" http://podman/_ping >/dev/null 2>&1; }

podman_start() {
  podman_answers && return 0
  write_podman_config
  stop_pid "$PODMAN_PID" "system service" 5
  rm -f "$PODMAN_SOCKET"
  log "starting podman's API on unix://$PODMAN_SOCKET"
  setsid env CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf" CONTAINERS_CONF="$PODMAN_DIR/containers.conf" \
    CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf" \
    bash -c 'printf "%s\n" "$$" >"$1"; exec podman system service --time=0 "unix://$2"' _ "$PODMAN_PID" "$PODMAN_SOCKET" \
    </dev/null >>"$PODMAN_DIR/podman.log" 2>&1 8>&- 9>&- &
}

podman_wait() {
  wait_for 30 "podman's API on unix://$PODMAN_SOCKET" podman_answers || {
    tail -n 20 "$PODMAN_DIR/podman.log" >&2
    die "podman's API did not answer on unix://$PODMAN_SOCKET within 30s; see $PODMAN_DIR/podman.log"
  }
}

podman_stop() { stop_pid "$PODMAN_PID" "system service" 10; }
