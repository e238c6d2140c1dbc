#!/usr/bin/env bash
# A stand-in for command-line tools (gcloud, docker, curl, sleep) in the tests
# of scripts/deploy/ (packages/backend/src/deploy/pipeline.test.ts): a
# directory first on PATH holds, per tool, a script that runs this one with
# FAKE_TOOL=<tool> (or link this under the tool's name). Each call appends one
# line, "<tool> <arguments...>", to $FAKE_CALLS, then answers by the first
# rule of $FAKE_RULES that matches that line (none: exit 0, no output).
#
# A rule is one line: <times>|<exit code>|<pattern>|<output>
#   times    how many calls it answers (empty: any number), then it is spent
#   pattern  a bash glob matched against the whole call line
#   output   printed to stdout (printf %b: \n, \t are escapes)
# Lines starting with # are comments.
set -uo pipefail
call="${FAKE_TOOL:-$(basename "$0")} $*"
printf '%s\n' "$call" >>"${FAKE_CALLS:?FAKE_CALLS is not set}"
rules="${FAKE_RULES:-}"
[ -n "$rules" ] && [ -f "$rules" ] || exit 0
n=0
while IFS='|' read -r times code pattern output; do
  n=$((n + 1))
  [[ -z "$pattern" || "$times" == \#* ]] && continue
  # shellcheck disable=SC2053 # the pattern is a glob on purpose
  [[ "$call" == $pattern ]] || continue
  if [ -n "$times" ]; then
    used="$(cat "$rules.used.$n" 2>/dev/null || echo 0)"
    [ "$used" -ge "$times" ] && continue
    echo $((used + 1)) >"$rules.used.$n"
  fi
  [ -n "$output" ] && printf '%b\n' "$output"
  exit "${code:-0}"
done <"$rules"
exit 0
