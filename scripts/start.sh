#!/usr/bin/env bash
# Quick start: the portal locally on SQLite with sample data and guest sign-in.
#   ./scripts/start.sh        -> frontend http://localhost:3000, backend :7007
# Installs Node 24 and yarn into .toolchain/ when the machine lacks them, then
# `yarn install` and `yarn start`. The SQLite files live in .data/ (git-ignored),
# so entities you register survive a restart; delete .data/ to start afresh.
#
# Okta next to guest (docs/authentication.md):
#   OKTA_CLIENT_ID=… OKTA_CLIENT_SECRET=… OKTA_AUDIENCE=https://<org>.okta.com ./scripts/start.sh
#   PORTAL_OKTA=standin ./scripts/start.sh   # local stand-in, sample users, any password
#
# GitHub org data and repository discovery (docs/github.md):
#   GITHUB_ORG=… GITHUB_TOKEN=… ./scripts/start.sh
#   PORTAL_GITHUB=fake ./scripts/start.sh    # local GitHub fake (org acme, sample teams and repos)
#
# API specs from Cloud Storage (docs/api-docs.md): without API_DOCS_BUCKET a
# local Cloud Storage server serves examples/api-specs as bucket
# portal-api-docs (prefix apis/); with it, the real bucket (gcloud auth
# application-default login first):
#   API_DOCS_BUCKET=acme-api-docs API_DOCS_PREFIX=apis/ ./scripts/start.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh
yarn install --immutable

extra=()
if [ "${PORTAL_OKTA:-}" = standin ]; then
  node scripts/okta-standin.mjs --config examples/okta-standin.json &
  standin=$!
  trap 'kill "$standin" 2>/dev/null || true' EXIT
  export OKTA_CLIENT_ID=portal-local OKTA_CLIENT_SECRET=portal-local-secret \
    OKTA_AUDIENCE=http://127.0.0.1:7009 OKTA_AUTH_SERVER_ID=default
fi
if [ "${PORTAL_GITHUB:-}" = fake ]; then
  node scripts/github-fake.js --port 7010 &
  github_fake=$!
  trap 'kill "${standin:-}" "$github_fake" 2>/dev/null || true' EXIT
  export GITHUB_ORG=acme GITHUB_TOKEN=fake-github-token \
    GITHUB_API_URL=http://127.0.0.1:7010
fi
if [ -z "${API_DOCS_BUCKET:-}" ]; then
  node scripts/gcs-fake.js --port 7011 --bucket portal-api-docs --prefix apis/ \
    --seed examples/api-specs &
  gcs_fake=$!
  trap 'kill "${standin:-}" "${github_fake:-}" "$gcs_fake" 2>/dev/null || true' EXIT
  export API_DOCS_BUCKET=portal-api-docs API_DOCS_PREFIX=apis/ \
    STORAGE_EMULATOR_HOST=http://127.0.0.1:7011
fi
if [ -n "${OKTA_CLIENT_ID:-}" ]; then
  export AUTH_SESSION_SECRET="${AUTH_SESSION_SECRET:-local-development-session-secret-0123456789}"
  # Naming config files turns off the default set, so name all of it.
  extra=(--config "$PWD/app-config.yaml")
  [ -f app-config.local.yaml ] && extra+=(--config "$PWD/app-config.local.yaml")
  extra+=(--config "$PWD/examples/app-config.okta.yaml")
fi
yarn start "${extra[@]}" "$@"
