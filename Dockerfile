# cxone-etl: the worker daemon (default command) and, with another command, any CLI command, e.g.
#   docker build -t cxone-etl .
#   docker run --rm -e DATABASE_URL=... cxone-etl node dist/main.js migrate
# The CXone simulator is a development tool and not in that image; the `simulator` target is the same
# image with it (the whole tree compiled):
#   docker build --target simulator -t cxone-etl-sim .
#   docker run --rm -p 8787:8787 cxone-etl-sim node dist/main.js sim --host 0.0.0.0 --port 8787 \
#     --public-url http://localhost:8787 --time-scale 0.01
# (the simulator must listen on 0.0.0.0 to be reachable through -p, and hand out URLs the client can
# reach: --public-url is the published address, not the container's).
#
# OCI labels from build arguments ("unknown" when not given), e.g.
#   docker build --build-arg VERSION="$(node -p "require('./package.json').version")" \
#     --build-arg REVISION="$(git rev-parse HEAD)" --build-arg SOURCE=https://your.git.host/cxone-etl \
#     -t cxone-etl .
#
# Configuration is the environment (.env.example lists every variable; no .env is copied into the image).
# DATABASE_URL is required here: the embedded-Postgres fallback of the CLI is an optional dependency that
# this image leaves out (60 MB of binaries, and its data would die with the container); without
# DATABASE_URL a command stops with exit 2 and says so.
#
# Stopping: on SIGTERM the daemon lets the current window finish or roll back for up to SHUTDOWN_GRACE
# (default 30 s). Docker's default stop timeout is 10 s, so give it more: `docker stop -t 40`, compose
# `stop_grace_period: 40s`, Kubernetes `terminationGracePeriodSeconds: 40`.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm can exit 0 after "Exit handler never called!" with half a tree installed; `npm ls` exits 1 on any
# missing package, so a broken install fails here instead of at `tsc: not found`.
RUN npm ci --no-audit --no-fund && npm ls >/dev/null
COPY tsconfig.json tsconfig.build.json tsconfig.sim.json ./
COPY src ./src
# dist/: the production build (no simulator); dist-sim/: the whole tree, for the simulator target.
RUN npm run build && npm run build:sim

# ---- base: production dependencies, migrations and the launcher; every layer but the compiled code ---
FROM ${NODE_IMAGE} AS base
# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps zombies (node as PID 1 does neither well).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops embedded-postgres (the CLI's no-DATABASE_URL fallback) and its binaries; dev
# dependencies (tsx, esbuild, the test tools) are never installed here. `npm ls` as in the build stage.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
  && npm ls --omit=dev --omit=optional >/dev/null \
  && npm cache clean --force
COPY migrations ./migrations
COPY bin ./bin
# The files stay root-owned and read-only to the service, which writes nothing to disk (DATA_DIR serves
# the embedded database alone, which is not installed here).
USER node

# /healthz, /readyz and /metrics (HTTP_PORT).
EXPOSE 9464
# Liveness of the daemon (scheduler ticking); slim has no curl, so node's fetch asks. Other commands
# (sim, run, migrate) serve no /healthz: give their containers their own healthcheck or none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

# Last, so that a new revision does not invalidate the cached layers above (an ARG's value is part of
# the cache key of every RUN after it).
ARG VERSION=unknown
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="cxone-etl" \
  org.opencontainers.image.description="Copies NICE CXone Data Extraction API data into Postgres" \
  org.opencontainers.image.source="${SOURCE}" \
  org.opencontainers.image.licenses="MIT" \
  org.opencontainers.image.version="${VERSION}" \
  org.opencontainers.image.revision="${REVISION}"

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js", "daemon"]

# ---- simulator: the base with the whole tree compiled, the CXone simulator included ----------------
# For the demo stack (docker-compose.sim.yml) and trying the worker without credentials; never deployed.
FROM base AS simulator
COPY --from=build /app/dist-sim ./dist

# ---- runtime (the default target, last): the base with the production build, no simulator ----------
FROM base AS runtime
COPY --from=build /app/dist ./dist
