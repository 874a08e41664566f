# The lab's registry (CNCF distribution 2.8) on 127.0.0.1:5055 with deletes enabled. Sourced by scripts/lab.sh.

REGISTRY_DIR=$LAB/registry
REGISTRY_CONFIG=$REGISTRY_DIR/config.yml
REGISTRY_PID=$REGISTRY_DIR/registry.pid

registry_answers() { [[ $(registry_status GET /v2/) == 200 ]]; }

write_registry_config() {
  mkdir -p "$REGISTRY_DIR/data"
  # `registry readonly on` leaves this flag: the registry then serves pulls and refuses pushes (gc's safe sweep).
  local readonly=false
  [[ -e $REGISTRY_DIR/readonly ]] && readonly=true
  cat >"$REGISTRY_CONFIG.tmp" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
  maintenance:
    readonly:
      enabled: $readonly
  # The blob descriptor cache is why gc restarts the registry after a sweep.
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
YAML
  mv "$REGISTRY_CONFIG.tmp" "$REGISTRY_CONFIG"
}

registry_start() {
  write_registry_config
  local launched=""
  if ! pid_of "$REGISTRY_PID" "$REGISTRY_CONFIG" >/dev/null; then
    rm -f "$REGISTRY_PID"
    log "starting registry on $REGISTRY_ADDR"
    # The child records its own pid, then becomes the registry: no fork, so the pid is the registry's.
    setsid bash -c 'printf "%s\n" "$$" >"$1"; exec docker-registry serve "$2"' _ "$REGISTRY_PID" "$REGISTRY_CONFIG" \
      </dev/null >>"$REGISTRY_DIR/registry.log" 2>&1 8>&- 9>&- &
    launched=$!
  fi
  local i
  for ((i = 0; i < 150; i++)); do
    registry_answers && return 0
    # Judge by the process we launched: under load its pid file may not be written yet.
    if [[ -n $launched ]] && ! kill -0 "$launched" 2>/dev/null; then
      tail -n 20 "$REGISTRY_DIR/registry.log" >&2
      die "the registry exited; see $REGISTRY_DIR/registry.log"
    fi
    sleep 0.2
  done
  die "the registry did not answer on $REGISTRY_ADDR within 30s; see $REGISTRY_DIR/registry.log"
}

registry_stop() {
  stop_pid "$REGISTRY_PID" "$REGISTRY_CONFIG" 10
  # Others may hold the port only if they are ours and lost their pidfile; never kill a stranger.
  local pid
  for pid in $(pids_matching "serve $REGISTRY_CONFIG"); do kill -TERM "$pid" 2>/dev/null || true; done
}

# registry_readonly on|off: sets or clears read-only mode and restarts the registry so it takes effect.
registry_readonly() {
  case ${1:-} in
    on) mkdir -p "$REGISTRY_DIR" && : >"$REGISTRY_DIR/readonly" ;;
    off) rm -f "$REGISTRY_DIR/readonly" ;;
    *) die "usage: scripts/lab.sh registry readonly on|off" ;;
  esac
  registry_stop
  registry_start
}
