#!/usr/bin/env bash
# Runs a command (by default the whole CI, `CI=true bash .ci/run`) with busy neighbours, as a shared CI runner or a
# developer's laptop has them: --cpu N processes that spin on a core each, --io N that write and sync files in a loop.
# The neighbours stop when the command ends, however it ends. Prints the command's wall time and the load it met.
#
#   bash scripts/stress.sh --cpu 2                      # the whole CI beside two CPU hogs
#   bash scripts/stress.sh --io 1 -- npm run test:unit   # any command, beside one I/O hog
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cpu=2 io=0
while (($# > 0)); do
  case $1 in
    --cpu) cpu=$2; shift 2 ;;
    --io) io=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
(($# > 0)) || set -- env CI=true bash .ci/run

scratch=$(mktemp -d "${TMPDIR:-/tmp}/freshen-stress.XXXXXX")
pids=()
stop_neighbours() {
  ((${#pids[@]} == 0)) || kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$scratch"
}
trap stop_neighbours EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < cpu; i++)); do
  (while :; do :; done) &
  pids+=($!)
done
for ((i = 0; i < io; i++)); do
  (while :; do dd if=/dev/zero of="$scratch/io-$i" bs=1M count=256 conv=fsync status=none; rm -f "$scratch/io-$i"; done) &
  pids+=($!)
done

echo "== stress: $cpu CPU-bound and $io I/O-bound neighbours beside: $*" >&2
started=$(date +%s)
rc=0
"$@" || rc=$?
echo "== stress: exit $rc after $(($(date +%s) - started)) s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit "$rc"
