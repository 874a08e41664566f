#!/usr/bin/env bash
# Extra dockerds for the rollout benchmark, built the lab's way (scripts/lab/dockerd.sh: own data root, exec root and
# socket, no bridge) but under their own directory, so the lab's four engines are untouched.
#   bench/engines.sh start N   starts b01..bN (in parallel) and prints their sockets
#   bench/engines.sh stop N    stops them and deletes their directory
set -euo pipefail
export FRESHEN_LAB_DIR=${FRESHEN_BENCH_ENGINES_DIR:-/tmp/freshen-bench-engines}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../scripts/lab" && pwd)
# shellcheck source=../scripts/lab/common.sh
source "$HERE/common.sh"
source "$HERE/dockerd.sh"
((EUID == 0)) || die "bench/engines.sh needs root (dockerd)"
count=${2:?usage: bench/engines.sh start|stop N}
names=()
for ((i = 1; i <= count; i++)); do names+=("$(printf 'b%02d' "$i")"); done
case ${1:-} in
  start)
    for h in "${names[@]}"; do start_dockerd "$h"; done
    for h in "${names[@]}"; do wait_dockerd "$h"; done
    for h in "${names[@]}"; do printf '%s %s\n' "$h" "$(host_socket "$h")"; done
    ;;
  stop)
    for h in "${names[@]}"; do stop_dockerd "$h" & done
    wait
    unmount_dir=$LAB
    awk -v lab="$unmount_dir/" 'index($2, lab) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$LAB"
    ;;
  *) die "usage: bench/engines.sh start|stop N" ;;
esac
