# A current Docker Engine beside Debian 12's 20.10: docker.io from Debian unstable (28.x), debootstrapped once and run in a
# chroot with its own data root, exec root (so its own containerd) and socket, host networking and --bridge=none like the
# other lab engines. It is started with DOCKER_MIN_API_VERSION=1.44, so it refuses old clients exactly as Engine 29 does.
# Not a host of inventories/lab.yml: the tests that use it write their own inventories. Sourced by scripts/lab.sh.

CURRENT_DIR=$LAB/current
CURRENT_ROOT=$CURRENT_DIR/root
# Inside the rootfs, so the host (and curl in the chroot, for `status`) reach the same file.
CURRENT_SOCKET=$CURRENT_ROOT/run/lab/docker.sock
CURRENT_MIN_API=1.44
# Inside the chroot; the pattern that tells this dockerd from the others.
CURRENT_EXEC_ROOT=/run/freshen-current
# The debootstrapped tree, kept outside the lab directory so `reset` does not download it again.
CURRENT_CACHE=${FRESHEN_LAB_CACHE:-/var/cache/freshen-lab}/current-rootfs.tar

# curl inside the chroot: the host's docker CLI (20.10, API 1.41) is exactly the kind of client this engine refuses.
current_answers() { chroot "$CURRENT_ROOT" curl -sf --max-time 2 --unix-socket /run/lab/docker.sock http://engine/_ping >/dev/null 2>&1; }

# current_rootfs: the chroot with docker.io, from the cache or debootstrapped from the machine's Debian mirror.
current_rootfs() {
  [[ -x $CURRENT_ROOT/usr/sbin/dockerd ]] && return 0
  local mirror started=$SECONDS
  rm -rf --one-file-system "$CURRENT_ROOT.tmp"
  mkdir -p "$CURRENT_ROOT.tmp"
  if [[ -s $CURRENT_CACHE ]]; then
    tar -xf "$CURRENT_CACHE" -C "$CURRENT_ROOT.tmp"
  else
    mirror=${FRESHEN_DEBIAN_MIRROR:-$(debian_mirrors | awk '$1 == "main" { print $2 }')} || die "found no Debian mirror in /etc/apt/sources.list{,.d/*}"
    log "debootstrapping Debian unstable with docker.io for the current engine (once; cached in $CURRENT_CACHE)"
    debootstrap --variant=minbase --include=docker.io,ca-certificates,curl sid "$CURRENT_ROOT.tmp" "$mirror" \
      >"$CURRENT_DIR/debootstrap.log" 2>&1 || { tail -n 20 "$CURRENT_DIR/debootstrap.log" >&2; die "debootstrap of unstable failed; see $CURRENT_DIR/debootstrap.log"; }
    mkdir -p "$(dirname "$CURRENT_CACHE")"
    tar -cf "$CURRENT_CACHE.tmp" -C "$CURRENT_ROOT.tmp" . && mv "$CURRENT_CACHE.tmp" "$CURRENT_CACHE"
    log "current engine rootfs ready in $((SECONDS - started))s"
  fi
  mv "$CURRENT_ROOT.tmp" "$CURRENT_ROOT"
}

current_start() {
  current_rootfs
  if pid_of "$CURRENT_ROOT$CURRENT_EXEC_ROOT.pid" "$CURRENT_EXEC_ROOT" >/dev/null; then return 0; fi
  rm -f "$CURRENT_SOCKET"
  mkdir -p "$CURRENT_ROOT/run/lab" "$CURRENT_ROOT/.oldroot"
  log "starting the current engine ($(chroot "$CURRENT_ROOT" dockerd --version | cut -d, -f1), minimum API $CURRENT_MIN_API)"
  printf '{}\n' >"$CURRENT_ROOT/etc/freshen-lab-daemon.json"
  # A mount namespace of its own whose root really is the rootfs (pivot_root, not chroot: under a chroot, runc's exec joins
  # a container with the wrong root, so health checks see the host's files). The namespace's mounts (and the containers'
  # overlays) are invisible to the host and vanish with the engine.
  setsid unshare --mount --propagation private -- /bin/sh -c '
    set -e
    root=$1
    mount --bind "$root" "$root"
    for d in proc sys dev; do mount --rbind "/$d" "$root/$d"; done
    cd "$root"
    pivot_root . .oldroot
    umount -l /.oldroot
    shift
    exec "$@"
  ' sh "$CURRENT_ROOT" \
    env DOCKER_MIN_API_VERSION=$CURRENT_MIN_API dockerd \
    --config-file /etc/freshen-lab-daemon.json \
    --data-root /var/lib/freshen-current \
    --exec-root "$CURRENT_EXEC_ROOT" \
    --pidfile "$CURRENT_EXEC_ROOT.pid" \
    -H unix:///run/lab/docker.sock \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false --shutdown-timeout=5 --cgroup-parent=freshen-current \
    </dev/null >>"$CURRENT_DIR/dockerd.log" 2>&1 8>&- 9>&- &
}

current_wait() {
  wait_for 60 "the current engine" current_answers || {
    tail -n 20 "$CURRENT_DIR/dockerd.log" >&2
    die "the current engine did not answer within 60s; see $CURRENT_DIR/dockerd.log"
  }
}

current_stop() {
  [[ -d $CURRENT_ROOT ]] || return 0
  stop_pid "$CURRENT_ROOT$CURRENT_EXEC_ROOT.pid" "$CURRENT_EXEC_ROOT" 15
  local pid
  for pid in $(pids_matching "$CURRENT_EXEC_ROOT/containerd"); do kill -TERM "$pid" 2>/dev/null || true; done
}
