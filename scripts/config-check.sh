#!/usr/bin/env bash
# Strict config check (unknown or mistyped keys fail) of every layering the
# portal runs with: local; production; production + the demo layer.
# Production values come from env at run time; placeholders stand in here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
check() { yarn backstage-cli config:check --strict "$@"; }
check --config app-config.yaml
export APP_BASE_URL=https://portal.example.com POSTGRES_HOST=db.internal \
  POSTGRES_USER=portal POSTGRES_PASSWORD=placeholder PORTAL_API_TOKEN=placeholder-token-0123456789
check --config app-config.yaml --config app-config.production.yaml
check --config app-config.yaml --config app-config.production.yaml --config examples/app-config.demo.yaml
