#!/usr/bin/env bash
# The demo: bring the lab up, publish a security update of the upstream OS image, let freshen carry it all the way
# to the containers and tidy the registry, then run again to show that nothing is left to do.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
freshen() { node "$repo/bin/freshen.js" "$@"; }
# --debian: the slower demo on a real Debian image (scripts/demo-debian.sh, docs/debian-demo.md).
[[ ${1:-} == --debian ]] && exec bash "$repo/scripts/demo-debian.sh"

bash scripts/lab.sh up
echo
echo "== Upstream publishes a security update of its OS image"
bash scripts/lab.sh publish-upstream
echo
echo "== freshen run playbooks/demo.yml -i inventories/lab.yml"
freshen run playbooks/demo.yml -i inventories/lab.yml
echo
echo "== Again, right away: nothing is stale, so nothing changes"
second=$(mktemp)
trap 'rm -f "$second"' EXIT
freshen run playbooks/demo.yml -i inventories/lab.yml --json "$second"
node -e '
  const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const changed = Object.values(report.recap).reduce((sum, r) => sum + r.changed, 0);
  console.log(changed === 0 ? "\nSecond run: changed=0 on every host." : `\nSecond run changed ${changed} things: not idempotent!`);
  process.exit(changed === 0 ? 0 : 1);
' "$second"
