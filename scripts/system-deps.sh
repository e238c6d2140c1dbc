#!/usr/bin/env bash
# Debian packages the scripts need. Installs what is missing when run as
# root; otherwise says what to install.
#   scripts/system-deps.sh            the test suite: PostgreSQL (throwaway
#                                     clusters), Redis (the shared cache) and
#                                     Chromium (Playwright)
#   scripts/system-deps.sh container  the image build: buildah and debootstrap
#                                     (scripts/container/build.sh)
set -euo pipefail
missing=()
case "${1:-test}" in
  test)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
    ;;
  container)
    command -v buildah >/dev/null 2>&1 || missing+=(buildah)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    ;;
  *)
    echo "usage: scripts/system-deps.sh [test|container]" >&2
    exit 2
    ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: please install: ${missing[*]} (e.g. sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
