#!/usr/bin/env bash
# Quick start: the portal locally on SQLite with sample data and guest sign-in.
#   ./scripts/start.sh        -> frontend http://localhost:3000, backend :7007
# Installs Node 24 and yarn into .toolchain/ when the machine lacks them, then
# `yarn install` and `yarn start`. The SQLite files live in .data/ (git-ignored),
# so entities you register survive a restart; delete .data/ to start afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh
yarn install --immutable
exec yarn start "$@"
