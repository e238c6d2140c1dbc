# syntax=docker/dockerfile:1
# The portal: one image serving the frontend and every backend API.
# Build from the repo root:  docker build -t portal .
#   (here, without a Docker engine: scripts/container/build.sh, see docs/container.md)
# Run: see docs/configuration.md for the environment (deployment contract).
#
# Stages: toolchain (compilers) -> manifests -> build (install, tsc, build)
#         -> deps (production install, pruned) + app (bundle, config, data)
#         -> final image: the Node 24 slim base, node_modules, the bundle. Non-root.
# A change to code only reuses the dependency layers: both installs depend
# on package.json files and yarn.lock alone (the manifests stage and the
# build's skeleton.tar.gz), and the final image adds node_modules before the
# bundle.

# --- toolchain: compilers for native addons (build stages only) ------------
FROM node:24-bookworm-slim AS toolchain
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean && \
    apt-get update && \
    apt-get install -y --no-install-recommends python3 make g++

# --- manifests: only what `yarn install` reads ------------------------------
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
# The workspaces are packages/* and plugins/* (package.json). Times are
# zeroed so that the layer's content, and with it the cache key of the
# install below, depends on the files' contents alone.
RUN mkdir /manifests && \
    tar -c package.json packages/*/package.json plugins/*/package.json \
      .yarnrc.yml yarn.lock backstage.json .yarn/releases | tar -x -C /manifests && \
    find /manifests -exec touch -h -d @0 {} +

# --- build: install everything, type check and build -----------------------
FROM toolchain AS build
WORKDIR /build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,id=yarn-berry,target=/root/.yarn/berry/cache,sharing=locked \
    yarn install --immutable
COPY . .
RUN yarn tsc && yarn build:backend && \
    touch -d @0 packages/backend/dist/skeleton.tar.gz

# --- deps: production dependencies only, pruned ------------------------------
# Laid out by the script the smoke tests, e2e suite and benchmark use
# (scripts/production-tree.sh), from the build's skeleton (package.json files).
FROM toolchain AS deps
WORKDIR /app
COPY scripts/production-tree.sh scripts/prune-node-modules.js ./scripts/
COPY .yarnrc.yml package.json yarn.lock backstage.json ./
COPY .yarn/releases ./.yarn/releases
COPY --from=build /build/packages/backend/dist/skeleton.tar.gz ./packages/backend/dist/
RUN --mount=type=cache,id=yarn-berry,target=/root/.yarn/berry/cache,sharing=locked \
    SRC=/app scripts/production-tree.sh /app install && \
    rm -rf scripts .yarn .yarnrc.yml .production-install packages/backend/dist

# --- app: the built backend and frontend, configuration, catalog data -------
FROM node:24-bookworm-slim AS app
WORKDIR /app
COPY scripts/production-tree.sh ./scripts/
COPY --from=build /build/packages/backend/dist/bundle.tar.gz ./packages/backend/dist/
COPY app-config*.yaml catalog-info.yaml ./
COPY templates ./templates
COPY examples ./examples
RUN SRC=/app scripts/production-tree.sh /app bundle && rm -rf scripts

# --- runtime: Node 24 slim, no compilers, no sources, non-root --------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the server's user.
COPY --from=deps /app/ ./
COPY --from=app /app/ ./
USER node
EXPOSE 7007
CMD ["node", "packages/backend", "--config", "app-config.yaml", "--config", "app-config.production.yaml"]
