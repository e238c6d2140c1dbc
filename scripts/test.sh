#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   ./scripts/test.sh
# Toolchain, dependencies, type check, lint, formatting, strict config check,
# unit + integration tests (SQLite and a throwaway PostgreSQL), the production
# build and the container image, then Playwright against the production server
# on PostgreSQL: the smoke suite (HTTP contract), the browser suite (Chromium)
# and the container suite (the image run as Cloud Run runs it).
# Ends with one line: "<N> passed, <N> failed" (tests over every suite).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
mkdir -p .cache
results="$root/.cache/results"
rm -rf "$results" && mkdir -p "$results"
step_failed=0
pg_dir="$root/.cache/portal/unit-pg"

summary() {
  node scripts/lib/summarise-results.js "$results" "$step_failed"
}
cleanup() {
  [ -d "$pg_dir" ] && scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step() { # step <name> <command...>: run, time and record a non-test step
  local name="$1"; shift
  local t0=$SECONDS
  echo "::: $name" >&2
  if "$@"; then
    echo "::: $name ok ($((SECONDS - t0)) s)" >&2
  else
    echo "::: $name FAILED ($((SECONDS - t0)) s)" >&2
    step_failed=$((step_failed + 1))
    return 1
  fi
}

source scripts/toolchain.sh || { echo "0 passed, 1 failed"; exit 1; }
step "system packages" scripts/system-deps.sh || { summary; exit 1; }
step "yarn install --immutable" yarn install --immutable || { summary; exit 1; }
step "type check" yarn tsc
step "lint" yarn lint
step "formatting" yarn prettier:check
step "config check" yarn config:check

# Unit and integration tests (Jest), with PostgreSQL for the integration tests.
rm -rf "$pg_dir"
pg="$(scripts/postgres.sh start "$pg_dir")" || step_failed=$((step_failed + 1))
pg_port="$(sed -n 's/.*PGPORT=\([0-9]*\).*/\1/p' <<<"$pg")"
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="postgresql://postgres:unused@127.0.0.1:${pg_port}"
# The e2e suite reuses this cluster (integration tests use their own database prefixes).
export PORTAL_PG_PORT="$pg_port"
echo "::: unit and integration tests" >&2
CI=true yarn backstage-cli repo test --json --outputFile "$results/jest.json" >&2 || true

if step "production build" yarn build:backend; then
  projects=()
  if [ "${PORTAL_CONTAINER_TESTS:-on}" = off ]; then
    # Cloud Build's test step (scripts/deploy/pipeline.sh test): the pipeline
    # builds the image itself and smoke-tests it on staging.
    echo "::: container image: skipped (PORTAL_CONTAINER_TESTS=off)" >&2
    projects=(--project server --project browser)
  else
    # The image, built with buildah against the stand-in base (docs/container.md);
    # the Playwright project `container` runs it.
    step "container image" scripts/container/build.sh || true
  fi
  echo "::: e2e: smoke (server), browser and container suites" >&2
  PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" yarn playwright test "${projects[@]}" >&2 || true
fi
summary
