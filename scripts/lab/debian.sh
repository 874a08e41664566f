# A real Debian base for the lab: `scripts/lab.sh debian` debootstraps bookworm (minbase) from the main suite only, so
# the security and updates suites it then lists have real pending upgrades, imports it on build1 as
# upstream/debian:bookworm and pushes it. Sourced by scripts/lab.sh.

DEBIAN_SUITE=bookworm
DEBIAN_REPO=upstream/debian
DEBIAN_REF=$REGISTRY_ADDR/$DEBIAN_REPO:$DEBIAN_SUITE
DEBIAN_DIR=$LAB/debian
# The rootfs as debootstrap left it (plus the apt sources), kept so a re-import needs no network.
DEBIAN_TARBALL=$DEBIAN_DIR/$DEBIAN_SUITE-minbase.tar
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

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

# debian_sources MAIN SECURITY: the deb822 sources the image lists, for the suite and its updates and security suites.
debian_sources() {
  cat <<SOURCES
Types: deb
URIs: $1
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: $DEBIAN_KEYRING

Types: deb
URIs: $2
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

# debian_pending ROOTFS: how many upgrades apt sees inside the rootfs (a chroot with the host's resolver), or `?`.
debian_pending() {
  local rootfs=$1 count
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  if chroot "$rootfs" apt-get -qq update >/dev/null 2>&1; then
    count=$(chroot "$rootfs" apt-get -s upgrade 2>/dev/null | grep -c '^Inst ') || true
  fi
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/resolv.conf"
  printf '%s' "${count:-?}"
}

# debian_bootstrap: debootstraps the main suite into a fresh rootfs and caches it as $DEBIAN_TARBALL.
debian_bootstrap() {
  local mirrors main security rootfs started=$SECONDS pending
  mirrors=$(debian_mirrors) || die "found no Debian mirror in /etc/apt/sources.list{,.d/*}"
  main=${FRESHEN_DEBIAN_MIRROR:-$(awk '$1 == "main" { print $2 }' <<<"$mirrors")}
  security=${FRESHEN_DEBIAN_SECURITY_MIRROR:-$(awk '$1 == "security" { print $2 }' <<<"$mirrors")}
  rootfs=$DEBIAN_DIR/rootfs
  rm -rf "$rootfs"
  mkdir -p "$DEBIAN_DIR"
  # The main suite only: the image starts without the updates published since the last point release.
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $main (security: $security)"
  debootstrap --variant=minbase --keyring="$DEBIAN_KEYRING" "$DEBIAN_SUITE" "$rootfs" "$main" \
    >"$DEBIAN_DIR/debootstrap.log" 2>&1 ||
    { tail -n 20 "$DEBIAN_DIR/debootstrap.log" >&2; die "debootstrap failed; see $DEBIAN_DIR/debootstrap.log"; }
  log "debootstrap took $((SECONDS - started))s"
  rm -f "$rootfs/etc/apt/sources.list"
  debian_sources "$main" "$security" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  pending=$(debian_pending "$rootfs")
  log "apt in the new rootfs sees $pending pending upgrades"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$DEBIAN_TARBALL.tmp" . || die "could not pack $rootfs"
  mv "$DEBIAN_TARBALL.tmp" "$DEBIAN_TARBALL"
  printf '%s\n' "$pending" >"$DEBIAN_DIR/pending-at-bootstrap"
  rm -rf "$rootfs"
}

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
  mkdir -p "$DEBIAN_DIR"
  # A lock of its own: a cold bootstrap takes minutes and must not hold up `up` or publish-upstream.
  exec 7>"$LAB/.debian.lock"
  flock -n 7 || { log "waiting for another scripts/lab.sh debian"; flock -w 900 7 || die "another scripts/lab.sh debian holds $LAB/.debian.lock"; }
  if ((!force)) && has_manifest "$DEBIAN_REPO" "$DEBIAN_SUITE"; then
    log "$DEBIAN_REF is in the registry already (--force imports it again)"
    printf '%s\n' "$DEBIAN_REF"
    return 0
  fi
  if [[ -f $DEBIAN_TARBALL ]]; then
    log "using the cached rootfs $DEBIAN_TARBALL (delete it to debootstrap again)"
  else
    ensure_debootstrap
    debian_bootstrap
  fi
  step=$SECONDS
  quietly ldocker "$BUILDER" import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$DEBIAN_TARBALL" "$DEBIAN_REF" ||
    die "docker import of $DEBIAN_TARBALL failed"
  quietly ldocker "$BUILDER" push "$DEBIAN_REF" || die "pushing $DEBIAN_REF failed"
  log "imported and pushed $DEBIAN_REF in $((SECONDS - step))s; total $((SECONDS - started))s"
  printf '%s\n' "$DEBIAN_REF"
}
