# syntax=docker/dockerfile:1
# The portal: one image serving the frontend and every backend API.
# Build from the repo root:  docker build -t portal .
# Run: see docs/configuration.md for the environment (deployment contract).

# --- build: install everything, type check and build inside the image -------
FROM node:24-bookworm-slim AS build
# Toolchain for native addons of build-time dependencies (e.g. tree-sitter).
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    apt-get update && \
    apt-get install -y --no-install-recommends python3 make g++ && \
    rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
RUN --mount=type=cache,target=/root/.yarn/berry/cache,sharing=locked \
    yarn install --immutable
RUN yarn tsc && yarn build:backend

# --- runtime: Node 24 slim, production dependencies only, non-root ----------
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# Owned by node: the app folder, and the yarn folder that the cache mount lands in.
RUN mkdir -p /app /home/node/.yarn/berry && chown -R node:node /app /home/node/.yarn
USER node
WORKDIR /app
# Laid out by the same script the smoke tests, e2e suite and benchmark use
# (scripts/production-tree.sh): production install from the skeleton first,
# so that code changes do not invalidate the dependency layer.
COPY --chown=node:node scripts/production-tree.sh ./scripts/
COPY --from=build --chown=node:node /build/.yarn/releases ./.yarn/releases
COPY --from=build --chown=node:node /build/.yarnrc.yml /build/package.json /build/yarn.lock /build/backstage.json ./
COPY --from=build --chown=node:node /build/packages/backend/dist/skeleton.tar.gz ./packages/backend/dist/
RUN --mount=type=cache,target=/home/node/.yarn/berry/cache,sharing=locked,uid=1000,gid=1000 \
    SRC=/app scripts/production-tree.sh /app install
COPY --from=build --chown=node:node /build/packages/backend/dist/bundle.tar.gz ./packages/backend/dist/
COPY --chown=node:node app-config*.yaml catalog-info.yaml ./
COPY --chown=node:node templates ./templates
COPY --chown=node:node examples ./examples
RUN SRC=/app scripts/production-tree.sh /app bundle
EXPOSE 7007
CMD ["node", "packages/backend", "--config", "app-config.yaml", "--config", "app-config.production.yaml"]
