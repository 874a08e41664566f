# Debian packages the lab runs on. Sourced by scripts/lab.sh.

# systemd only for systemd-analyze, which checks the example units (it is not started); chromium renders status pages;
# ansible-core for ansible-inventory, the oracle of the Ansible inventory tests; podman for its Docker-compatible API; skopeo
# and umoci must read what `backup` writes to an OCI layout; git and kubectl (Debian's kubernetes-client) for pin's tests.
LAB_PACKAGES=(docker.io docker-registry openssh-server busybox-static debootstrap docker-compose systemd chromium ansible-core podman curl skopeo umoci git kubernetes-client)

# package_missing PACKAGE: true when the Debian package (or, without dpkg, the program it provides) is absent.
package_missing() {
  local pkg=$1 program
  # kubectl may come with the machine image (a newer one than Debian's): Debian's kubernetes-client only where there is none.
  if [[ $pkg == kubernetes-client ]] && command -v kubectl >/dev/null; then return 1; fi
  if command -v dpkg-query >/dev/null; then
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) != installed ]]
    return
  fi
  case $pkg in
    docker.io) program=dockerd ;;
    docker-registry) program=docker-registry ;;
    openssh-server) program=sshd ;;
    busybox-static) program=busybox ;;
    systemd) program=systemd-analyze ;;
    chromium) program=chromium ;;
    ansible-core) program=ansible-inventory ;;
    podman) program=podman ;;
    curl) program=curl ;;
    skopeo) program=skopeo ;;
    umoci) program=umoci ;;
    git) program=git ;;
    kubernetes-client) program=kubectl ;;
  esac
  ! command -v "$program" >/dev/null && [[ ! -x /usr/sbin/$program ]]
}

missing_packages() {
  local pkg
  for pkg in "${LAB_PACKAGES[@]}"; do package_missing "$pkg" && printf '%s\n' "$pkg"; done
  return 0
}

# ensure_packages: installs what is missing when root; refuses clearly otherwise.
ensure_packages() {
  local -a missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    die "missing Debian packages: ${missing[*]}. Run scripts/lab.sh as root so it can install them, or run: apt-get install ${missing[*]}"
  fi
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]}"
  # Keep the packages' own services (a registry on :5000, the system sshd, dockerd) from starting during install.
  local policy=/usr/sbin/policy-rc.d created_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=1
  fi
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >&2 || rc=$?
  [[ -n $created_policy ]] && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc) installing ${missing[*]}"
}

# The statically linked busybox that every lab image is built from.
busybox_path() {
  local candidate
  for candidate in /bin/busybox /usr/bin/busybox; do
    [[ -x $candidate ]] && { printf '%s' "$candidate"; return; }
  done
  die "busybox not found (Debian package busybox-static)"
}
