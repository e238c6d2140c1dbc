#!/usr/bin/env bash
# The delivery pipeline's steps. cloudbuild.yaml (push to main) and
# cloudbuild.production.yaml (after the approval) call them, one step each;
# the logic lives here so that it is tested with a fake gcloud, docker and
# curl (packages/backend/src/deploy/pipeline.test.ts). Configuration: see
# scripts/deploy/lib.sh. Explained in docs/deployment.md.
#
#   pipeline.sh pull-cache              pull the last staging image (layer cache)
#   pipeline.sh build                   build :$SHORT_SHA from the repo-root Dockerfile
#   pipeline.sh test                    run the test suite ($TEST_COMMAND, default scripts/test.sh)
#   pipeline.sh push                    push :$SHORT_SHA to Artifact Registry
#   pipeline.sh check-image             the image :$SHORT_SHA exists (production build)
#   pipeline.sh migrate <environment>   run the migration job with the new image, wait for it
#   pipeline.sh deploy staging          deploy deploy/staging.yaml (all traffic)
#   pipeline.sh deploy production       deploy deploy/production.yaml without traffic, tag canary
#   pipeline.sh smoke <environment>     readiness, then the API with $PORTAL_API_TOKEN (and 401 without)
#   pipeline.sh tag <environment>       move the :<environment> tag to :$SHORT_SHA
#   pipeline.sh request-production      start the production trigger (it waits for an approval)
#   pipeline.sh canary                  $CANARY_PERCENT% to the canary, watch, then 100% or back
#   pipeline.sh render <manifest> <out> write a manifest with its placeholders filled (IMAGE,
#                                       REVISION, SERVING_REVISION from the environment)
#
# <environment> is staging or production.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd_pull_cache() {
  # The last image that passed staging: its layers (BuildKit inline cache)
  # let a code-only change reuse the dependency layers.
  if docker pull "$(image_repo):staging"; then
    log "layer cache: $(image_repo):staging"
  else
    log "no previous image to take layers from; building from scratch"
  fi
}

# Every stage's layers go to a registry cache (:buildcache, mode=max), so a
# code-only change reuses the install stages on a fresh Cloud Build machine
# too (an inline cache would hold the final image's layers only).
cmd_build() {
  need SHORT_SHA
  cd "$DEPLOY_ROOT"
  docker buildx create --name portal --driver docker-container --use >/dev/null 2>&1 ||
    docker buildx use portal
  docker buildx build \
    --cache-from "type=registry,ref=$(image_repo):buildcache" \
    --cache-from "$(image_repo):staging" \
    --cache-to "type=registry,ref=$(image_repo):buildcache,mode=max" \
    --label "org.opencontainers.image.revision=${COMMIT_SHA:-$SHORT_SHA}" \
    --tag "$(image)" \
    --load \
    .
}

cmd_test() {
  # No container suite inside Cloud Build (no buildah there): the build step
  # makes the image and staging's smoke test runs it.
  local command="${TEST_COMMAND:-PORTAL_CONTAINER_TESTS=off bash scripts/test.sh}"
  log "tests: $command"
  (cd "$DEPLOY_ROOT" && bash -c "$command") || die "tests failed: nothing is pushed"
}

cmd_push() {
  docker push "$(image)"
}

# Production releases only an image that passed staging: the tag step of
# staging marks it :staging-passed-<sha>.
cmd_check_image() {
  set_run_flags
  gcloud artifacts docker images describe "$(image_repo):staging-passed-$SHORT_SHA" --project "$PROJECT_ID" \
    --format='value(image_summary.digest)' >/dev/null ||
    die "no image $(image) that passed staging (no tag staging-passed-$SHORT_SHA): its build did not push one, or staging's smoke test failed"
}

# migrate <environment>: the migration job of the environment (the manifest
# deploy/<environment>-migrate.yaml, the same image with PORTAL_MIGRATE_ONLY)
# is updated to the new image and executed; the step fails, and nothing is
# deployed, unless every migration succeeded.
cmd_migrate() {
  local env="${1:?usage: pipeline.sh migrate <staging|production>}" job file
  set_run_flags
  job="$(service_of "$env")-migrate"
  file="$DEPLOY_WORK_DIR/$job.yaml"
  IMAGE="$(image)" PROJECT_ID="$PROJECT_ID" REGION="$REGION" \
    render "$DEPLOY_ROOT/deploy/$env-migrate.yaml" "$file"
  gcloud run jobs replace "$file" "${run_flags[@]}" --quiet
  gcloud run jobs execute "$job" "${run_flags[@]}" --wait ||
    die "the migration job $job failed: traffic stays where it is (see its execution's logs)"
  log "migrations applied by $job"
}

# deploy staging: a new revision with all traffic.
# deploy production: a new revision under the tag canary with no traffic;
# the serving revision keeps all of it (pinned in the rendered manifest).
cmd_deploy() {
  local env="${1:?usage: pipeline.sh deploy <staging|production>}" service revision serving file
  set_run_flags
  service="$(service_of "$env")"
  revision="$(revision_of "$service")"
  file="$DEPLOY_WORK_DIR/$service.yaml"
  if [ "$env" = production ]; then
    serving="$(serving_revision "$service")"
    if [ -z "$serving" ]; then
      log "$service has no serving revision yet: the first revision takes all traffic"
      serving="$revision"
    fi
  fi
  IMAGE="$(image)" REVISION="$revision" SERVING_REVISION="${serving:-}" \
    render "$DEPLOY_ROOT/deploy/$env.yaml" "$file"
  gcloud run services replace "$file" "${run_flags[@]}" --quiet
  log "$service: revision $revision deployed${serving:+ (serving: $serving)}"
}

cmd_smoke() {
  local env="${1:?usage: pipeline.sh smoke <staging|production>}" service url
  set_run_flags
  need PORTAL_API_TOKEN
  service="$(service_of "$env")"
  url="$(service_url "$service")"
  [ -n "$url" ] || die "$service has no URL"
  wait_ready "$url" "$SMOKE_ATTEMPTS" "$SMOKE_INTERVAL" ||
    die "smoke test: $service is not ready at $url"
  check_api "$url" "$PORTAL_API_TOKEN" || die "smoke test: $service's API failed at $url"
  log "smoke test of $service passed"
}

cmd_tag() {
  local env="${1:?usage: pipeline.sh tag <staging|production>}"
  service_of "$env" >/dev/null
  need PROJECT_ID
  gcloud artifacts docker tags add "$(image)" "$(image_repo):$env" --quiet
  if [ "$env" = staging ]; then
    gcloud artifacts docker tags add "$(image)" "$(image_repo):staging-passed-$SHORT_SHA" --quiet
  fi
}

cmd_request_production() {
  need PROJECT_ID COMMIT_SHA
  need SHORT_SHA
  gcloud builds triggers run "${PRODUCTION_TRIGGER:-portal-production}" \
    --project "$PROJECT_ID" --region "${TRIGGER_REGION:-global}" --sha "$COMMIT_SHA" \
    --substitutions "_RELEASE_SHA=$SHORT_SHA"
  log "production build requested; it starts once approved (Cloud Build > History)"
}

# canary: CANARY_PERCENT% of production traffic to the revision tagged
# canary; every CANARY_INTERVAL seconds for CANARY_WINDOW seconds its
# readiness (through the tag's URL) and its share of 5xx responses are
# checked. Healthy: all traffic to it and the :production tag moves.
# Unhealthy: all traffic back to the revision that served before, and the
# step fails.
cmd_canary() {
  local service revision serving lines canary_url since checks i v healthy=1
  set_run_flags
  for v in CANARY_WINDOW CANARY_INTERVAL ERROR_RATE; do
    is_number "${!v}" || die "$v must be a number, not '${!v}'"
  done
  for v in CANARY_PERCENT MIN_REQUESTS; do
    is_integer "${!v}" || die "$v must be a whole number, not '${!v}'"
  done
  if [ "$CANARY_PERCENT" -lt 1 ] || [ "$CANARY_PERCENT" -gt 99 ]; then
    die "CANARY_PERCENT must be between 1 and 99, not $CANARY_PERCENT"
  fi
  service="$PRODUCTION_SERVICE"
  revision="$(revision_of "$service")"
  lines="$(traffic "$service")"
  canary_url="$(awk -F'\t' -v r="$revision" '$1 == r && $3 == "canary" { print $4; exit }' <<<"$lines")"
  [ -n "$canary_url" ] || die "$service has no revision $revision tagged canary: run 'pipeline.sh deploy production' first"
  serving="$(awk -F'\t' '$3 != "canary" && $2 + 0 > best { best = $2 + 0; rev = $1 } END { print rev }' <<<"$lines")"

  if [ "$serving" = "$revision" ]; then
    log "first deployment of $service: no earlier revision to share traffic with"
  else
    gcloud run services update-traffic "$service" "${run_flags[@]}" --to-tags "canary=$CANARY_PERCENT"
    log "$CANARY_PERCENT% of traffic to $revision, the rest stays on $serving"
    # Cancelled or timed out while watching: traffic goes back first.
    # shellcheck disable=SC2064 # the values are meant to be fixed now
    trap "log 'interrupted: all traffic back to $serving'; gcloud run services update-traffic '$service' ${run_flags[*]} --to-revisions '$serving=100'; exit 1" TERM INT
  fi
  since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

  checks=$(awk -v w="$CANARY_WINDOW" -v i="$CANARY_INTERVAL" 'BEGIN { n = (i > 0) ? int((w + i - 1) / i) : 1; print (n < 1) ? 1 : n }')
  for ((i = 1; i <= checks; i++)); do
    sleep "$CANARY_INTERVAL"
    log "canary check $i/$checks"
    if ! wait_ready "$canary_url" 1 0; then
      log "the canary is not ready"
      healthy=0
      break
    fi
    if ! error_rate_ok "$service" "$revision" "$since"; then
      log "the canary answers too many errors"
      healthy=0
      break
    fi
  done

  trap - TERM INT
  if [ "$healthy" = 1 ]; then
    gcloud run services update-traffic "$service" "${run_flags[@]}" --to-revisions "$revision=100"
    cmd_tag production
    log "$revision is healthy and serves all traffic"
    return 0
  fi
  if [ "$serving" = "$revision" ]; then
    die "the first revision of $service is unhealthy and there is none to go back to"
  fi
  gcloud run services update-traffic "$service" "${run_flags[@]}" --to-revisions "$serving=100"
  die "canary $revision unhealthy: all traffic is back on $serving"
}

# render <manifest> <out>: IMAGE defaults to :$SHORT_SHA; REVISION and
# SERVING_REVISION come from the environment when the manifest uses them.
cmd_render() {
  set_run_flags
  local usage='usage: pipeline.sh render <manifest> <out>'
  IMAGE="${IMAGE:-$(image)}" render "${1:?$usage}" "${2:?$usage}"
}

main() {
  local command="${1:-}"
  shift || true
  case "$command" in
    pull-cache) cmd_pull_cache "$@" ;;
    build) cmd_build "$@" ;;
    test) cmd_test "$@" ;;
    push) cmd_push "$@" ;;
    check-image) cmd_check_image "$@" ;;
    migrate) cmd_migrate "$@" ;;
    deploy) cmd_deploy "$@" ;;
    smoke) cmd_smoke "$@" ;;
    tag) cmd_tag "$@" ;;
    request-production) cmd_request_production "$@" ;;
    canary) cmd_canary "$@" ;;
    render) cmd_render "$@" ;;
    *)
      sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
      exit 2
      ;;
  esac
}
main "$@"
