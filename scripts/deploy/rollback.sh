#!/usr/bin/env bash
# Rolls an environment back (or forward) to the image of an earlier commit, in
# one command:
#   PROJECT_ID=acme-portal scripts/deploy/rollback.sh <sha> [production|staging]
# <sha>: the commit (its first 7 characters are the image tag, as Cloud Build's
# SHORT_SHA). The newest revision of the service built from that commit (its
# label commit-sha) gets all traffic; when Cloud Run no longer has one, the
# image :<sha> is deployed as a new revision (the service's current settings)
# and gets all traffic. The :<environment> tag then points at the image, and
# the service must answer readiness (and the API, with PORTAL_API_TOKEN set).
# Database migrations are not undone (docs/deployment.md#rolling-back).
# Configuration: scripts/deploy/lib.sh (PROJECT_ID, REGION, ...).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sha="${1:-}"
env="${2:-production}"
[[ "$sha" =~ ^[0-9a-f]{7,40}$ ]] || die "usage: rollback.sh <commit sha> [production|staging]"
SHORT_SHA="${sha:0:7}"
service="$(service_of "$env")"
set_run_flags

revision="$(gcloud run revisions list --service "$service" "${run_flags[@]}" \
  --filter="metadata.labels.commit-sha=$SHORT_SHA" \
  --sort-by='~metadata.creationTimestamp' --limit 1 --format='value(metadata.name)')"
if [ -n "$revision" ]; then
  log "$service: revision $revision runs $SHORT_SHA"
else
  log "$service has no revision of $SHORT_SHA left: deploying $(image)"
  gcloud artifacts docker images describe "$(image)" --project "$PROJECT_ID" \
    --format='value(image_summary.digest)' >/dev/null ||
    die "no image $(image) in Artifact Registry"
  revision="$service-rollback-$SHORT_SHA"
  gcloud run deploy "$service" "${run_flags[@]}" --image "$(image)" \
    --revision-suffix "rollback-$SHORT_SHA" --update-labels "commit-sha=$SHORT_SHA" \
    --no-traffic --quiet
fi

gcloud run services update-traffic "$service" "${run_flags[@]}" --to-revisions "$revision=100"
gcloud artifacts docker tags add "$(image)" "$(image_repo):$env" --quiet

url="$(service_url "$service")"
wait_ready "$url" "$SMOKE_ATTEMPTS" "$SMOKE_INTERVAL" ||
  die "$service serves $revision but is not ready at $url"
if [ -n "${PORTAL_API_TOKEN:-}" ]; then
  check_api "$url" "$PORTAL_API_TOKEN" || die "$service serves $revision but its API failed"
fi
log "$service: all traffic on $revision ($SHORT_SHA)"
