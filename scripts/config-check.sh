#!/usr/bin/env bash
# Strict config check (unknown or mistyped keys fail) of every layering the
# portal runs with: local; production; production + the demo layer.
# Production values come from env at run time; placeholders stand in here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
check() { yarn backstage-cli config:check --strict "$@"; }
check --config app-config.yaml
export APP_BASE_URL=https://portal.example.com POSTGRES_HOST=db.internal \
  POSTGRES_USER=portal POSTGRES_PASSWORD=placeholder PORTAL_API_TOKEN=placeholder-token-0123456789 \
  OKTA_CLIENT_ID=placeholder OKTA_CLIENT_SECRET=placeholder OKTA_AUDIENCE=https://acme.okta.com \
  OKTA_ADMIN_GROUP='Portal Admins' OKTA_TEMPLATE_AUTHOR_GROUP='Template Authors' OKTA_GROUP_PREFIX=portal- \
  AUTH_SESSION_SECRET=placeholder-session-secret-0123456789 \
  GITHUB_ORG=acme GITHUB_TOKEN=placeholder GITHUB_APP_ID=12345 \
  GITHUB_APP_PRIVATE_KEY='-----BEGIN RSA PRIVATE KEY-----placeholder' \
  GITHUB_APP_CLIENT_ID=placeholder GITHUB_APP_CLIENT_SECRET=placeholder \
  GITHUB_WEBHOOK_SECRET=placeholder-webhook-secret REDIS_URL=redis://10.0.0.3:6379 \
  GA4_MEASUREMENT_ID=G-PLACEHOLDER1
check --config app-config.yaml --config app-config.production.yaml
check --config app-config.yaml --config app-config.production.yaml --config examples/app-config.demo.yaml
# Production through the Cloud SQL Node connector (IAM: no host, no password),
# one database with a schema per plugin.
(
  unset POSTGRES_HOST POSTGRES_PASSWORD
  export CLOUD_SQL_INSTANCE=acme-prod:europe-west1:portal CLOUD_SQL_IP_TYPE=PRIVATE \
    POSTGRES_USER=portal-runtime@acme-prod.iam POSTGRES_PLUGIN_DIVISION_MODE=schema \
    POSTGRES_DATABASE=portal POSTGRES_POOL_MAX=3 POSTGRES_STATEMENT_TIMEOUT_MS=60000
  check --config app-config.yaml --config app-config.production.yaml
)

# Self-test: a mistyped key must fail the strict check, or the check is toothless.
typo="$(mktemp --suffix=.yaml)"
trap 'rm -f "$typo"' EXIT
printf 'catalog:\n  rulez: []\n' > "$typo"
if check --config app-config.yaml --config "$typo" >/dev/null 2>&1; then
  echo "config-check: a mistyped key (catalog.rulez) passed the strict check" >&2
  exit 1
fi
echo "config-check: a mistyped key is rejected, as it should be" >&2
