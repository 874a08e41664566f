#!/usr/bin/env bash
# scripts/build-image.sh [-t TAG] [-H DOCKER_HOST]: the container image of freshen, FROM scratch: the single executable
# (dist-sea/freshen, from `npm run build:sea`), the C libraries it links, a passwd file and empty /tmp and /freshen.
# It is built with the Docker CLI against the engine DOCKER_HOST (or -H) names; nothing is pulled.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=freshen:$(node -p "require('$ROOT/package.json').version")
host_args=()
while getopts 't:H:' opt; do
  case $opt in
    t) tag=$OPTARG ;;
    H) host_args=(-H "$OPTARG") ;;
    *) echo "usage: $0 [-t TAG] [-H DOCKER_HOST]" >&2; exit 2 ;;
  esac
done

exe=$ROOT/dist-sea/freshen
[[ -x $exe ]] || { echo "build-image: $exe is missing; run: npm run build:sea" >&2; exit 1; }

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
root=$context/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/freshen/cache" "$root/freshen/state" "$root/work" "$root/root"
mkdir -m 1777 "$root/tmp"
cp "$exe" "$root/usr/local/bin/freshen"
# The dynamic loader and every library the executable links, at the paths it looks for them.
while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done < <(ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
# os.userInfo() and SSH's default user need the running user in passwd.
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

cat >"$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV HOME=/root FRESHEN_CACHE_DIR=/freshen/cache FRESHEN_STATE_DIR=/freshen/state
WORKDIR /work
LABEL org.opencontainers.image.title=freshen org.opencontainers.image.licenses=MIT \\
      org.opencontainers.image.version=$("$exe" --version)
ENTRYPOINT ["/usr/local/bin/freshen"]
CMD ["--help"]
DOCKERFILE

DOCKER_BUILDKIT=0 docker "${host_args[@]}" build -q -t "$tag" "$context" >/dev/null
echo "built $tag: $(docker "${host_args[@]}" image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.1f MiB", $1 / 1048576 }')"
