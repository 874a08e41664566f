#!/usr/bin/env bash
# The Debian demo (npm run demo -- --debian): a real Debian bookworm, debootstrapped without its latest updates, under
# two images and a container; freshen finds the pending updates with apt itself, rebuilds, rolls out, and finds none left.
# Fetches from Debian's mirror (the one this machine's apt uses) once, into the lab's loopback mirror; every apt run of the
# demo then talks to 127.0.0.1:5058. Repeatable: each run publishes deb/* without updates first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
lab=${FRESHEN_LAB_DIR:-/tmp/freshen-lab}
freshen() { node "$repo/bin/freshen.js" "$@"; }
web1() { DOCKER_BUILDKIT=0 docker -H "unix://$lab/docker/web1/docker.sock" "$@"; }

bash scripts/lab.sh up
echo
echo "== A real Debian: bookworm debootstrapped from the main suite only, so bookworm-security has updates for it"
started=$SECONDS
bash scripts/lab.sh debian-fetch
bash scripts/lab.sh debian
echo "(lab.sh debian-fetch and debian: $((SECONDS - started))s)"
echo
echo "== Publish deb/base and deb/app as built before those updates (a build without network upgrades nothing)"
freshen run playbooks/debian-seed.yml -i inventories/lab.yml
if ! web1 container inspect deb-app >/dev/null 2>&1; then
  echo "creating container deb-app on web1"
  web1 pull -q 127.0.0.1:5055/deb/app:prod >/dev/null
  web1 run -d --name deb-app --network none --restart unless-stopped 127.0.0.1:5055/deb/app:prod >/dev/null
fi
echo
echo "== What freshen would do (--check: apt-get -s upgrade in a throwaway container of each prod image, nothing written)"
freshen run playbooks/demo-debian.yml -i inventories/lab.yml --check
echo
echo "== freshen run playbooks/demo-debian.yml -i inventories/lab.yml"
started=$SECONDS
freshen run playbooks/demo-debian.yml -i inventories/lab.yml
echo "(freshen run: $((SECONDS - started))s)"
echo
echo "== Again: the probe finds no pending updates, so nothing changes"
second=$(mktemp)
trap 'rm -f "$second"' EXIT
freshen run playbooks/demo-debian.yml -i inventories/lab.yml --json "$second"
node -e '
  const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const changed = Object.values(report.recap).reduce((sum, r) => sum + r.changed, 0);
  console.log(changed === 0 ? "\nSecond run: no pending updates, changed=0 on every host." : `\nSecond run changed ${changed} things: updates still pending?`);
  process.exit(changed === 0 ? 0 : 1);
' "$second"
# deb-app has no network; ask apt in a throwaway container of the very image it runs.
image=$(web1 container inspect --format '{{.Image}}' deb-app)
web1 run --rm --network host "$image" sh -c \
  'apt-get -qq update >/dev/null && echo "deb-app on web1 runs an image with $(apt-get -s upgrade | grep -c "^Inst") pending upgrades"'
