#!/usr/bin/env bash
# Builds the repo-root Dockerfile with buildah (no Docker engine needed), the
# way CI does (scripts/test.sh), and reports the time and the image size:
#   scripts/container/build.sh
# 1. installs buildah and debootstrap (Debian) when missing;
# 2. makes the stand-in base image (scripts/container/base-image.sh), only
#    when its recipe changed;
# 3. seeds buildah's yarn cache mount (id=yarn-berry) from this machine's
#    yarn cache with hard links, so the image's installs download nothing that
#    the host's `yarn install` already fetched;
# 4. `buildah bud --layers`: unchanged layers come from buildah's storage.
# Writes .cache/container/build.json: image name, build seconds, sizes (the
# image, the base and the image's own layers, uncompressed).
#   PORTAL_IMAGE  image name (default localhost/portal:latest)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
image="${PORTAL_IMAGE:-localhost/portal:latest}"
base="docker.io/library/node:24-bookworm-slim"
out="$root/.cache/container"
mkdir -p "$out"
# No report unless this build succeeds (the container tests read it).
rm -f "$out/build.json"
t0=$SECONDS

# 1. Tools.
# buildah and debootstrap, installed if missing.
"$root/scripts/system-deps.sh" container
t_tools=$((SECONDS - t0))

# 2. The stand-in base image.
"$here/base-image.sh"
t_base=$((SECONDS - t0 - t_tools))

# 3. The yarn cache (buildah keeps cache mounts in /var/tmp/buildah-cache-<uid>/<id>).
# shellcheck source=/dev/null
source "$root/scripts/toolchain.sh"
host_cache="$(yarn config get cacheFolder)"
mount_cache="${TMPDIR:-/var/tmp}/buildah-cache-$(id -u)/yarn-berry"
mkdir -p "$mount_cache"
if [ -d "$host_cache" ]; then
  cp -al -n "$host_cache/." "$mount_cache/" 2>/dev/null ||
    cp -a -n "$host_cache/." "$mount_cache/"
fi

# 4. The image.
echo "container: buildah bud -t $image (log: $out/build.log)" >&2
t1=$SECONDS
if ! buildah bud --layers --isolation chroot --network host -t "$image" -f Dockerfile . >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log" >&2
  echo "container: build failed after $((SECONDS - t1)) s (full log: $out/build.log)" >&2
  exit 1
fi
t_build=$((SECONDS - t1))

# Sizes: the sum of the uncompressed layers, as the registry's and Cloud
# Run's "uncompressed size" count them.
layers_bytes() {
  local mnt ctr
  ctr="$(buildah from --pull-never "$1")"
  mnt="$(buildah mount "$ctr")"
  du -sb --apparent-size "$mnt" | cut -f1
  buildah umount "$ctr" >/dev/null
  buildah rm "$ctr" >/dev/null
}
image_bytes="$(layers_bytes "$image")"
base_bytes="$(layers_bytes "$base")"
own=$((image_bytes - base_bytes))
mb() { echo $(($1 / 1000000)); }
cat >"$out/build.json" <<EOF
{
  "image": "$image",
  "base": "$base",
  "tools_s": $t_tools,
  "base_image_s": $t_base,
  "build_s": $t_build,
  "total_s": $((SECONDS - t0)),
  "image_mb": $(mb "$image_bytes"),
  "base_mb": $(mb "$base_bytes"),
  "own_layers_mb": $(mb "$own")
}
EOF
echo "container: $image built in ${t_build} s (tools ${t_tools} s, base ${t_base} s); image $(mb "$image_bytes") MB = base $(mb "$base_bytes") MB + own layers $(mb "$own") MB" >&2
