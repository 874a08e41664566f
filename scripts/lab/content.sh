# What runs in the lab: the upstream OS image, the seeded lab/* images, and the containers on web1..web3.
# Sourced by scripts/lab.sh.

BUILDER=build1
SEED_PLAYBOOK=$REPO/playbooks/lab-seed.yml

# upstream_level: the patch level of upstream/os:stable in the registry, 0 when it has none.
upstream_level() {
  has_manifest upstream/os stable || { printf '0'; return; }
  quietly ldocker "$BUILDER" pull "$UPSTREAM_REF" || die "could not pull $UPSTREAM_REF on $BUILDER"
  ldocker "$BUILDER" image inspect --format '{{index .Config.Labels "org.labos.patchlevel"}}' "$UPSTREAM_REF"
}

# publish_upstream [LEVEL]: builds upstream/os:stable at LEVEL (default: the registry's level + 1) and pushes it.
publish_upstream() {
  local level=${1:-} context
  if [[ -z $level ]]; then
    level=$(($(upstream_level) + 1))
  fi
  [[ $level =~ ^[0-9]+$ ]] || die "patch level must be a number, not '$level'"
  mkdir -p "$LAB/tmp"
  context=$(mktemp -d "$LAB/tmp/upstream.XXXXXX")
  cp "$REPO/lab/upstream/Dockerfile" "$REPO/lab/upstream/os-release" "$context/"
  cp "$(busybox_path)" "$context/busybox"
  log "publishing $UPSTREAM_REF at patch level $level"
  quietly ldocker "$BUILDER" build --network none --build-arg "PATCHLEVEL=$level" -t "$UPSTREAM_REF" "$context" ||
    { rm -rf "$context"; die "building the upstream image failed"; }
  rm -rf "$context"
  quietly ldocker "$BUILDER" push "$UPSTREAM_REF" || die "pushing $UPSTREAM_REF failed"
  printf '%s patchlevel=%s\n' "$UPSTREAM_REF" "$level"
}

needs_seed() {
  local repo
  for repo in "${SEEDED_REPOS[@]}"; do has_manifest "$repo" prod || return 0; done
  return 1
}

# seed: publishes lab/base, lab/web and lab/worker with freshen itself (discover include_unpublished + rebuild + push).
seed() {
  if [[ ${FRESHEN_LAB_SKIP_SEED:-} == 1 ]]; then
    log "FRESHEN_LAB_SKIP_SEED=1: not seeding (the lab containers need lab/web:prod and lab/worker:prod)"
    return 1
  fi
  if [[ ${FRESHEN_LAB_SEED:-freshen} == docker ]]; then
    seed_with_docker_cli
    return 0
  fi
  [[ -f $SEED_PLAYBOOK ]] || die "cannot seed: $SEED_PLAYBOOK is missing"
  if [[ ! -f $REPO/dist/cli/main.js ]]; then
    log "building freshen (dist/cli/main.js is missing)"
    # tsc emits even when some file has type errors; seeding needs only the emitted CLI.
    (cd "$REPO" && npm run build --silent) >&2 || log "npm run build reported errors"
    [[ -f $REPO/dist/cli/main.js ]] || die "npm run build did not produce dist/cli/main.js"
  fi
  log "seeding the registry: freshen run playbooks/lab-seed.yml"
  node "$REPO/bin/freshen.js" run "$SEED_PLAYBOOK" -i "$REPO/inventories/lab.yml" >&2 ||
    die "seeding failed: freshen run $SEED_PLAYBOOK exited $?"
  needs_seed && die "seeding ran but the registry still lacks one of ${SEEDED_REPOS[*]} :prod"
  return 0
}

# For working on the lab before freshen can seed it (FRESHEN_LAB_SEED=docker): plain builds, no provenance labels.
seed_with_docker_cli() {
  local repo ref
  log "seeding the registry with the docker CLI (FRESHEN_LAB_SEED=docker)"
  for repo in "${SEEDED_REPOS[@]}"; do
    ref=$REGISTRY_ADDR/$repo:prod
    quietly ldocker "$BUILDER" build --network none -t "$ref" "$REPO/lab/images/$repo" || die "building $ref failed"
    quietly ldocker "$BUILDER" push "$ref" || die "pushing $ref failed"
  done
}

# container_args: lab/containers.json as `docker run` arguments, one file per host and container, under $LAB.
container_args() {
  node "$REPO/scripts/lab/container-args.mjs" "$LAB" "$LAB/containers" || die "could not read lab/containers.json"
}

# ensure_containers HOST: creates the lab containers that are missing and starts those that are not running.
ensure_containers() {
  local h=$1 file name state
  local -a args
  mkdir -p "$LAB/shared/$h"
  for file in "$LAB/containers/$h"/*; do
    name=${file##*/}
    state=$(ldocker "$h" container inspect --format '{{.State.Status}}' "$name" 2>/dev/null) || state=missing
    case $state in
      running | restarting) ;;
      missing)
        mapfile -d '' -t args <"$file"
        log "creating container $name on $h"
        quietly ldocker "$h" run -d "${args[@]}" || die "could not create container $name on $h"
        ;;
      *)
        log "starting container $name on $h (was $state)"
        ldocker "$h" start "$name" >/dev/null || die "could not start container $name on $h"
        ;;
    esac
  done
}
