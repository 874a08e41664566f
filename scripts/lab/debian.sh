# A real Debian base for the lab, with real pending updates, and a Debian mirror on loopback for the tests' apt runs.
#   `scripts/lab.sh debian-fetch` (network, like `install`): debootstraps bookworm (minbase) from the main suite only, so the
#     security and updates suites have real pending upgrades, and fills the loopback mirror with what apt in that rootfs
#     fetches: the indexes of the three suites and the upgrades' packages. Kept in $DEBIAN_CACHE, outside the lab
#     directory, so `reset` does not download them again.
#   `scripts/lab.sh debian` (no network): serves the mirror on $MIRROR_ADDR, imports the rootfs on build1 as
#     upstream/debian:bookworm and pushes it. The image lists the loopback mirror, so apt in its builds stays on this machine.
# Sourced by scripts/lab.sh.

DEBIAN_SUITE=bookworm
DEBIAN_REPO=upstream/debian
DEBIAN_REF=$REGISTRY_ADDR/$DEBIAN_REPO:$DEBIAN_SUITE
DEBIAN_CACHE=${FRESHEN_LAB_CACHE:-/var/cache/freshen-lab}/debian
# The rootfs as debootstrap left it (plus the apt sources), kept so a re-import needs no network.
DEBIAN_TARBALL=$DEBIAN_CACHE/$DEBIAN_SUITE-minbase.tar
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR_DIR=$DEBIAN_CACHE/mirror
MIRROR_ADDR=127.0.0.1:5058
# Where fill listens while it runs: apt in the rootfs uses it as its HTTP proxy, so it asks for the image's own URIs.
MIRROR_FILL_ADDR=127.0.0.1:5059
MIRROR_SCRIPT=$REPO/scripts/lab/apt-mirror.mjs
MIRROR_STATE=$LAB/apt-mirror
MIRROR_PID=$MIRROR_STATE/apt-mirror.pid

# debian_mirrors [FILE...]: the machine's apt mirrors, as two lines `main URI` and `security URI`. Reads deb822
# (*.sources) and one-line (*.list) files; the security mirror is the URI of a `*-security` suite, else the main
# mirror's host with /debian-security. Defaults: the machine's own apt configuration.
debian_mirrors() {
  local -a files=("$@")
  if ((${#files[@]} == 0)); then
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
      [[ -f $f ]] && files+=("$f")
    done
  fi
  ((${#files[@]} > 0)) || return 1
  awk '
    function take(uri, suites, types,   n, i, s, list) {
      if (types !~ /(^|[ \t])deb([ \t]|$)/ || uri !~ /^https?:\/\//) return
      sub(/\/+$/, "", uri)
      n = split(suites, list, /[ \t]+/)
      for (i = 1; i <= n; i++) {
        s = list[i]
        if (s == "") continue
        if (s ~ /-security$/ || s ~ /\/updates$/) { if (security == "") security = uri }
        else if (main == "" && uri !~ /security/) main = uri
      }
    }
    function flush() { if (uri != "") take(uri, suites, types); uri = ""; suites = ""; types = "" }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if (tolower($1) == "types:") { types = $0; sub(/^[^:]*:/, "", types) }
      else if (tolower($1) == "uris:") uri = $2
      else if (tolower($1) == "suites:") { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
      next
    }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
      take($i, $(i + 1), "deb")
    }
    END {
      flush()
      if (main == "") exit 1
      if (security == "") { security = main; sub(/\/[^\/]*$/, "/debian-security", security) }
      print "main " main
      print "security " security
    }' "${files[@]}"
}

# debian_sources: the deb822 sources the image lists (the loopback mirror), for the suite and its updates and security suites.
debian_sources() {
  cat <<SOURCES
Types: deb
URIs: http://$MIRROR_ADDR/debian
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: $DEBIAN_KEYRING

Types: deb
URIs: http://$MIRROR_ADDR/debian-security
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: $DEBIAN_KEYRING
SOURCES
}

ensure_debootstrap() {
  local -a missing=()
  package_missing debootstrap && missing+=(debootstrap)
  package_missing debian-archive-keyring && [[ ! -f $DEBIAN_KEYRING ]] && missing+=(debian-archive-keyring)
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]}"
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >&2 ||
    die "apt-get failed installing ${missing[*]}"
}

# debian_upstreams: the real mirrors, as `MAIN SECURITY`, from the environment or the machine's apt configuration.
debian_upstreams() {
  local mirrors
  mirrors=$(debian_mirrors) || die "found no Debian mirror in /etc/apt/sources.list{,.d/*}"
  printf '%s %s\n' "${FRESHEN_DEBIAN_MIRROR:-$(awk '$1 == "main" { print $2 }' <<<"$mirrors")}" \
    "${FRESHEN_DEBIAN_SECURITY_MIRROR:-$(awk '$1 == "security" { print $2 }' <<<"$mirrors")}"
}

# debian_bootstrap MAIN: debootstraps the main suite into a fresh rootfs and caches it as $DEBIAN_TARBALL.
debian_bootstrap() {
  local main=$1 rootfs=$DEBIAN_CACHE/rootfs started=$SECONDS
  rm -rf --one-file-system "$rootfs"
  mkdir -p "$DEBIAN_CACHE"
  # The main suite only: the image starts without the updates published since the last point release.
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $main"
  debootstrap --variant=minbase --keyring="$DEBIAN_KEYRING" "$DEBIAN_SUITE" "$rootfs" "$main" \
    >"$DEBIAN_CACHE/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DEBIAN_CACHE/debootstrap.log" >&2; die "debootstrap failed; see $DEBIAN_CACHE/debootstrap.log"; }
  log "debootstrap took $((SECONDS - started))s"
  rm -f "$rootfs/etc/apt/sources.list"
  debian_sources >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$DEBIAN_TARBALL.tmp" . || die "could not pack $rootfs"
  mv "$DEBIAN_TARBALL.tmp" "$DEBIAN_TARBALL"
  rm -rf --one-file-system "$rootfs"
}

# mirror_fill MAIN SECURITY: runs apt in a copy of the cached rootfs through a filling mirror, so the mirror keeps what
# the tests' apt runs will ask for: the suites' indexes, and the packages of every pending upgrade.
mirror_fill() {
  local main=$1 security=$2 rootfs=$DEBIAN_CACHE/fill-rootfs fill_pid pending i
  local -a apt=(chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -o "Acquire::http::Proxy=http://$MIRROR_FILL_ADDR/")
  rm -rf --one-file-system "$rootfs"
  mkdir -p "$rootfs" "$MIRROR_DIR"
  tar -xf "$DEBIAN_TARBALL" -C "$rootfs" || die "could not unpack $DEBIAN_TARBALL"
  node "$MIRROR_SCRIPT" fill "$MIRROR_DIR" "$MIRROR_FILL_ADDR" "$main" "$security" 2>>"$DEBIAN_CACHE/fill.log" &
  fill_pid=$!
  for ((i = 0; i < 50; i++)); do
    (exec 3<>"/dev/tcp/${MIRROR_FILL_ADDR%:*}/${MIRROR_FILL_ADDR#*:}") 2>/dev/null && break
    kill -0 "$fill_pid" 2>/dev/null || die "the filling mirror exited; see $DEBIAN_CACHE/fill.log"
    sleep 0.1
  done
  local ok=1
  "${apt[@]}" -qq update >"$DEBIAN_CACHE/fill-apt.log" 2>&1 || ok=0
  if ((ok)); then
    pending=$("${apt[@]}" -s upgrade 2>/dev/null | grep -c '^Inst ') || true
    "${apt[@]}" -qq -d -y upgrade >>"$DEBIAN_CACHE/fill-apt.log" 2>&1 || ok=0
  fi
  kill -TERM "$fill_pid" 2>/dev/null || true
  wait "$fill_pid" 2>/dev/null || true
  rm -rf --one-file-system "$rootfs"
  ((ok)) || { tail -n 20 "$DEBIAN_CACHE/fill-apt.log" >&2; die "apt through the filling mirror failed; see $DEBIAN_CACHE/fill-apt.log and fill.log"; }
  printf '%s\n' "${pending:-?}" >"$DEBIAN_CACHE/pending-at-fetch"
  log "the mirror in $MIRROR_DIR holds $(du -sh "$MIRROR_DIR" | cut -f1); apt in the rootfs sees ${pending:-?} pending upgrades"
}

# cmd_debian_fetch: the network half: the cached rootfs (debootstrapped once) and a filled mirror with fresh Release files.
cmd_debian_fetch() {
  local upstreams main security started=$SECONDS
  require_root debian-fetch
  command -v node >/dev/null || die "debian-fetch needs node for the loopback mirror"
  mkdir -p "$DEBIAN_CACHE"
  exec 7>"$DEBIAN_CACHE/.lock"
  flock -w 900 7 || die "another scripts/lab.sh debian-fetch holds $DEBIAN_CACHE/.lock"
  upstreams=$(debian_upstreams)
  read -r main security <<<"$upstreams"
  if [[ -s $DEBIAN_TARBALL ]]; then
    log "using the cached rootfs $DEBIAN_TARBALL (delete it to debootstrap again)"
  else
    ensure_debootstrap
    debian_bootstrap "$main"
  fi
  log "filling the loopback mirror from $main and $security"
  mirror_fill "$main" "$security"
  log "debian-fetch took $((SECONDS - started))s"
}

# mirror_expired: prints the first Valid-Until of the kept Release files that has passed; false when none has.
mirror_expired() {
  local file until
  for file in "$MIRROR_DIR"/debian*/dists/*/InRelease; do
    [[ -f $file ]] || continue
    until=$(sed -n 's/^Valid-Until: //p' "$file" | head -n 1)
    [[ -n $until ]] && (($(date -d "$until" +%s) <= $(date +%s))) && { printf '%s (%s)' "$until" "${file#"$MIRROR_DIR"/}"; return 0; }
  done
  return 1
}

mirror_answers() { [[ $(http_status "${MIRROR_ADDR%:*}" "${MIRROR_ADDR#*:}" HEAD "/debian/dists/$DEBIAN_SUITE/InRelease") == 200 ]]; }

# mirror_start: serves the kept mirror on $MIRROR_ADDR (serve mode: it never connects anywhere).
mirror_start() {
  local suite expired i
  for suite in debian/dists/$DEBIAN_SUITE debian/dists/$DEBIAN_SUITE-updates debian-security/dists/$DEBIAN_SUITE-security; do
    [[ -f $MIRROR_DIR/$suite/InRelease ]] || die "the loopback Debian mirror lacks $suite; run scripts/lab.sh debian-fetch (it needs Debian's mirror)"
  done
  if expired=$(mirror_expired); then
    die "the loopback Debian mirror's indexes expired on $expired; run scripts/lab.sh debian-fetch to refresh them"
  fi
  pid_of "$MIRROR_PID" "$MIRROR_SCRIPT" >/dev/null && mirror_answers && return 0
  mkdir -p "$MIRROR_STATE"
  setsid bash -c 'printf "%s\n" "$$" >"$1"; shift; exec node "$@"' _ "$MIRROR_PID" "$MIRROR_SCRIPT" serve "$MIRROR_DIR" "$MIRROR_ADDR" \
    </dev/null >>"$MIRROR_STATE/apt-mirror.log" 2>&1 7>&- 8>&- 9>&- &
  for ((i = 0; i < 50; i++)); do
    mirror_answers && return 0
    sleep 0.1
  done
  die "the loopback Debian mirror did not answer on $MIRROR_ADDR; see $MIRROR_STATE/apt-mirror.log"
}

mirror_stop() { stop_pid "$MIRROR_PID" "$MIRROR_SCRIPT" 5; }

# cmd_debian [--force]: makes sure the registry serves $DEBIAN_REF; --force imports and pushes it again.
cmd_debian() {
  local force=0 started=$SECONDS step
  case ${1:-} in
    '') ;;
    --force) force=1 ;;
    *) usage >&2; exit 2 ;;
  esac
  require_root debian
  registry_answers || die "the registry does not answer on $REGISTRY_ADDR; run scripts/lab.sh up first"
  dockerd_answers "$BUILDER" || die "dockerd $BUILDER does not answer; run scripts/lab.sh up first"
  mirror_start
  # A lock of its own, so it does not hold up `up` or publish-upstream.
  exec 7>"$LAB/.debian.lock"
  flock -n 7 || { log "waiting for another scripts/lab.sh debian"; flock -w 900 7 || die "another scripts/lab.sh debian holds $LAB/.debian.lock"; }
  if ((!force)) && has_manifest "$DEBIAN_REPO" "$DEBIAN_SUITE"; then
    log "$DEBIAN_REF is in the registry already (--force imports it again)"
    printf '%s\n' "$DEBIAN_REF"
    return 0
  fi
  [[ -s $DEBIAN_TARBALL ]] || die "no cached Debian rootfs in $DEBIAN_TARBALL; run scripts/lab.sh debian-fetch (it needs Debian's mirror)"
  step=$SECONDS
  quietly ldocker "$BUILDER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$DEBIAN_TARBALL" "$DEBIAN_REF" ||
    die "docker import of $DEBIAN_TARBALL failed"
  quietly ldocker "$BUILDER" push "$DEBIAN_REF" || die "pushing $DEBIAN_REF failed"
  log "imported and pushed $DEBIAN_REF in $((SECONDS - step))s; total $((SECONDS - started))s"
  printf '%s\n' "$DEBIAN_REF"
}
