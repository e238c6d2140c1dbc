#!/usr/bin/env bash
# Lays out the production server exactly as the container does, from the output
# of `yarn build:backend` (packages/backend/dist/{skeleton,bundle}.tar.gz):
#   1. yarn files + skeleton (package.json files) -> `yarn workspaces focus --all --production`,
#      then scripts/prune-node-modules.js (source maps, docs, TypeScript files
#      that nothing reads at runtime, other platforms' native binaries)
#   2. bundle (built backend and frontend, without the frontend's source maps)
#      + app-config*.yaml + catalog data
# Then, from <target>:
#   node packages/backend --config app-config.yaml --config app-config.production.yaml
#
# Usage: scripts/production-tree.sh <target> [install|bundle|all]   (default: all)
#   SRC=<dir>  where the repo files and dist tarballs are (default: this repo)
# Used by the Dockerfile, the smoke test, the e2e suite and the benchmark.
# The install step is skipped when <target> was installed from the same yarn.lock
# and skeleton, so a second run takes seconds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${SRC:-$(cd "$here/.." && pwd)}"
target="${1:?usage: production-tree.sh <target> [install|bundle|all]}"
step="${2:-all}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
dist="$SRC/packages/backend/dist"

copy() { # copy <relative path> when SRC and target differ
  [ "$SRC" = "$target" ] && return 0
  mkdir -p "$target/$(dirname "$1")"
  cp -a "$SRC/$1" "$target/$1"
}

install_step() {
  [ -f "$dist/skeleton.tar.gz" ] || { echo "production-tree: $dist/skeleton.tar.gz missing; run 'yarn build:backend' first" >&2; exit 1; }
  local stamp
  stamp="$(cat "$SRC/yarn.lock" "$dist/skeleton.tar.gz" "$here/prune-node-modules.js" | sha256sum | cut -c1-16)"
  if [ -f "$target/.production-install" ] && [ "$(cat "$target/.production-install")" = "$stamp" ] && [ -d "$target/node_modules" ]; then
    echo "production-tree: production dependencies up to date in $target" >&2
    return 0
  fi
  for f in package.json yarn.lock .yarnrc.yml backstage.json; do copy "$f"; done
  if [ "$SRC" != "$target" ]; then
    mkdir -p "$target/.yarn" && rm -rf "$target/.yarn/releases" && cp -a "$SRC/.yarn/releases" "$target/.yarn/releases"
  fi
  tar -xzf "$dist/skeleton.tar.gz" -C "$target"
  # From scratch: yarn would not restore files an earlier prune removed.
  rm -rf "$target/node_modules"
  (cd "$target" && yarn workspaces focus --all --production >&2)
  node "$here/prune-node-modules.js" "$target"
  echo "$stamp" > "$target/.production-install"
}

bundle_step() {
  [ -f "$dist/bundle.tar.gz" ] || { echo "production-tree: $dist/bundle.tar.gz missing; run 'yarn build:backend' first" >&2; exit 1; }
  # Copy the bundle aside first: with SRC = target it lives in the folder that
  # is replaced.
  local bundle
  bundle="$(mktemp)"
  cp "$dist/bundle.tar.gz" "$bundle"
  rm -rf "$target/packages/app/dist" "$target/packages/backend/dist"
  tar -xzf "$bundle" -C "$target"
  rm -f "$bundle"
  # The frontend's source maps (~50 MB): the UI never loads them, and served
  # they would publish the app's source.
  find "$target/packages/app/dist" -name '*.map' -type f -delete
  if [ "$SRC" != "$target" ]; then
    for f in "$SRC"/app-config*.yaml; do cp "$f" "$target/"; done
    rm -rf "$target/examples" "$target/templates"
    for f in catalog-info.yaml examples templates; do copy "$f"; done
  fi
}

case "$step" in
  install) install_step ;;
  bundle) bundle_step ;;
  all) install_step; bundle_step ;;
  *) echo "production-tree: unknown step '$step' (install|bundle|all)" >&2; exit 2 ;;
esac
