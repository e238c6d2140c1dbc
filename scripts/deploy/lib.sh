#!/usr/bin/env bash
# Shared by scripts/deploy/pipeline.sh and scripts/deploy/rollback.sh: the
# configuration (environment variables; cloudbuild*.yaml sets them from its
# substitutions) and the helpers. Source it; it does nothing by itself.
#
# Configuration (defaults in brackets):
#   PROJECT_ID           Google Cloud project (required)
#   REGION               Cloud Run region [europe-west1]
#   AR_LOCATION          Artifact Registry location [$REGION]
#   REPOSITORY           Artifact Registry Docker repository [portal]
#   IMAGE_NAME           image name in the repository [portal]
#   SHORT_SHA            commit the image is built from (its tag; Cloud Build sets it)
#   RELEASE_SHA          production: the commit that passed staging (overrides SHORT_SHA)
#   COMMIT_SHA           the full commit (for the production trigger)
#   BUILD_ID             Cloud Build's build id (makes revision names unique)
#   STAGING_SERVICE      Cloud Run service of staging [portal-staging]
#   PRODUCTION_SERVICE   Cloud Run service of production [portal]
#   CANARY_PERCENT       share of production traffic the canary gets [10]
#   CANARY_WINDOW        seconds the canary is watched before full traffic [600]
#   CANARY_INTERVAL      seconds between two health checks of the canary [60]
#   ERROR_RATE           highest share of 5xx responses (percent) the canary may have [2]
#   MIN_REQUESTS         responses the canary needs before its error rate is judged [20]
#   SMOKE_ATTEMPTS       readiness checks before a smoke test gives up [30]
#   SMOKE_INTERVAL       seconds between them [10]
#   PORTAL_API_TOKEN     the static API token of the environment (a secret;
#                        Cloud Build's secretEnv): smoke tests call the API with it
#   DEPLOY_WORK_DIR      where rendered manifests go [/workspace/.deploy or $TMPDIR/portal-deploy]

set -euo pipefail

# shellcheck disable=SC2034 # used by the scripts that source this file
DEPLOY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REGION="${REGION:-europe-west1}"
AR_LOCATION="${AR_LOCATION:-$REGION}"
REPOSITORY="${REPOSITORY:-portal}"
IMAGE_NAME="${IMAGE_NAME:-portal}"
# The production trigger is told which commit passed staging (_RELEASE_SHA):
# that one is released, whatever commit the trigger checked out.
if [ -n "${RELEASE_SHA:-}" ]; then SHORT_SHA="$RELEASE_SHA"; fi
STAGING_SERVICE="${STAGING_SERVICE:-portal-staging}"
PRODUCTION_SERVICE="${PRODUCTION_SERVICE:-portal}"
CANARY_PERCENT="${CANARY_PERCENT:-10}"
CANARY_WINDOW="${CANARY_WINDOW:-600}"
CANARY_INTERVAL="${CANARY_INTERVAL:-60}"
ERROR_RATE="${ERROR_RATE:-2}"
MIN_REQUESTS="${MIN_REQUESTS:-20}"
SMOKE_ATTEMPTS="${SMOKE_ATTEMPTS:-30}"
SMOKE_INTERVAL="${SMOKE_INTERVAL:-10}"
if [ -z "${DEPLOY_WORK_DIR:-}" ]; then
  if [ -d /workspace ] && [ -w /workspace ]; then
    DEPLOY_WORK_DIR=/workspace/.deploy
  else
    DEPLOY_WORK_DIR="${TMPDIR:-/tmp}/portal-deploy"
  fi
fi

log() { printf 'deploy: %s\n' "$*" >&2; }
die() {
  printf 'deploy: ERROR: %s\n' "$*" >&2
  exit 1
}
need() { # need VAR...: fails naming every unset variable
  local missing=() v
  for v in "$@"; do [ -n "${!v:-}" ] || missing+=("$v"); done
  [ ${#missing[@]} -eq 0 ] || die "not set: ${missing[*]}"
}
is_number() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }
is_integer() { [[ "$1" =~ ^[0-9]+$ ]]; }

# The image without a tag, e.g. europe-west1-docker.pkg.dev/acme/portal/portal
image_repo() {
  need PROJECT_ID
  printf '%s-docker.pkg.dev/%s/%s/%s' "$AR_LOCATION" "$PROJECT_ID" "$REPOSITORY" "$IMAGE_NAME"
}
image() {
  need SHORT_SHA
  printf '%s:%s' "$(image_repo)" "$SHORT_SHA"
}

# service_of <staging|production>
service_of() {
  case "$1" in
    staging) printf '%s' "$STAGING_SERVICE" ;;
    production) printf '%s' "$PRODUCTION_SERVICE" ;;
    *) die "unknown environment '$1' (staging or production)" ;;
  esac
}

# The revision this build deploys: <service>-<sha>-<build>, lower case, at
# most 63 characters (Cloud Run's limit).
revision_of() {
  need SHORT_SHA
  local name="$1-$SHORT_SHA"
  [ -n "${BUILD_ID:-}" ] && name="$name-${BUILD_ID:0:8}"
  name="$(tr 'A-Z_' 'a-z-' <<<"$name")"
  name="${name:0:63}"
  printf '%s' "${name%-}"
}

run_flags=() # common to every `gcloud run` call
set_run_flags() {
  need PROJECT_ID
  run_flags=(--project "$PROJECT_ID" --region "$REGION")
}

# render <manifest> <out>: substitutes ${IMAGE}, ${PROJECT_ID}, ${REGION},
# ${REVISION}, ${SERVING_REVISION} and ${SHORT_SHA} (from the environment of
# the call) and fails if any other ${...} is left.
render() {
  local src="$1" out="$2" text name value
  [ -f "$src" ] || die "no manifest $src"
  text="$(<"$src")"
  for name in IMAGE PROJECT_ID REGION REVISION SERVING_REVISION SHORT_SHA; do
    value="${!name:-}"
    [[ "$text" == *"\${$name}"* ]] || continue
    [ -n "$value" ] || die "$src needs $name"
    text="${text//"\${$name}"/"$value"}"
  done
  if grep -qE '\$\{[A-Za-z_]+\}' <<<"$text"; then
    die "$src: unknown placeholders left: $(grep -oE '\$\{[A-Za-z_]+\}' <<<"$text" | sort -u | tr '\n' ' ')"
  fi
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$text" >"$out"
}

# traffic <service>: one line per traffic target:
#   <revision> TAB <percent> TAB <tag> TAB <url>
# Nothing when the service does not exist yet; any other failure stops.
# (`services describe`, not a `list --filter`: gcloud's filters match words,
# so `portal` would also match `portal-staging`.)
traffic() {
  local out err code=0
  err="$(mktemp)"
  out="$(gcloud run services describe "$1" "${run_flags[@]}" \
    --flatten=status.traffic \
    --format='value(status.traffic.revisionName,status.traffic.percent,status.traffic.tag,status.traffic.url)' \
    2>"$err")" || code=$?
  if [ "$code" != 0 ]; then
    if { cat "$err"; printf '%s\n' "$out"; } | grep -qiE 'cannot find service|could not be found|not found'; then
      rm -f "$err"
      return 0
    fi
    cat "$err" >&2
    rm -f "$err"
    die "could not read the traffic of $1"
  fi
  rm -f "$err"
  printf '%s\n' "$out" | sed '/^$/d'
}

# serving_revision <service>: the revision with the largest share of traffic,
# canary aside; empty when the service does not exist yet.
serving_revision() {
  traffic "$1" | awk -F'\t' '$3 != "canary" && $2 + 0 > best { best = $2 + 0; rev = $1 } END { print rev }'
}

service_url() {
  gcloud run services describe "$1" "${run_flags[@]}" --format='value(status.url)'
}

# http <url> [token]: prints the body, then the status code on a line of its
# own. The token travels in a header read from a pipe, never on the command line.
http() {
  if [ -n "${2:-}" ]; then
    curl -sS --max-time 20 -w '\n%{http_code}' \
      -H @<(printf 'Authorization: Bearer %s\n' "$2") "$1" || true
  else
    curl -sS --max-time 20 -w '\n%{http_code}' "$1" || true
  fi
}
status_of() { tail -n1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

# wait_ready <base url> <attempts> <interval>
wait_ready() {
  local url="$1/.backstage/health/v1/readiness" i out
  for ((i = 1; i <= $2; i++)); do
    out="$(http "$url")"
    if [ "$(status_of "$out")" = 200 ]; then
      log "ready: $url"
      return 0
    fi
    log "not ready ($i/$2): $url answered $(status_of "$out")"
    [ "$i" -lt "$2" ] && sleep "$3"
  done
  return 1
}

# check_api <base url> <token>: the catalog answers the token (a JSON array)
# and refuses a request without one.
check_api() {
  local url="$1/api/catalog/entities?limit=1" out
  out="$(http "$url" "$2")"
  if [ "$(status_of "$out")" != 200 ]; then
    log "authenticated API call: $url answered $(status_of "$out")"
    return 1
  fi
  if [[ "$(body_of "$out")" != \[* ]]; then
    log "authenticated API call: $url did not answer a JSON array"
    return 1
  fi
  out="$(http "$url")"
  if [ "$(status_of "$out")" != 401 ]; then
    log "API call without a token: $url answered $(status_of "$out"), not 401"
    return 1
  fi
  log "API: 200 with the token, 401 without: $url"
}

# error_rate_ok <service> <revision> <since>: the revision's share of 5xx
# responses (request logs since <since>, the pipeline's own health checks
# left out) is at most ERROR_RATE percent. With fewer than MIN_REQUESTS
# responses the rate says little: it is reported, not judged.
error_rate_ok() {
  local filter statuses total errors
  filter="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"$1\" AND resource.labels.revision_name=\"$2\" AND log_id(\"run.googleapis.com/requests\") AND timestamp>=\"$3\" AND NOT httpRequest.requestUrl:\"/.backstage/health/\""
  statuses="$(gcloud logging read "$filter" --project "$PROJECT_ID" --limit 10000 --format='value(httpRequest.status)')" ||
    {
      log "could not read the request logs of $2"
      return 1
    }
  total="$(grep -cE '^[0-9]{3}$' <<<"$statuses" || true)"
  errors="$(grep -cE '^5[0-9]{2}$' <<<"$statuses" || true)"
  log "$2: $errors of $total responses since $3 were 5xx (at most $ERROR_RATE% allowed)"
  if [ "$total" -lt "$MIN_REQUESTS" ]; then
    log "$2: fewer than $MIN_REQUESTS responses: too few to judge the error rate yet"
    return 0
  fi
  awk -v e="$errors" -v t="$total" -v max="$ERROR_RATE" 'BEGIN { exit !(e * 100 <= max * t) }'
}
