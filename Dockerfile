# syntax=docker/dockerfile:1
#
# cxone-etl: the worker daemon (default command) and, with another command, any CLI command, e.g.
#   docker run --rm -e DATABASE_URL=... cxone-etl node dist/main.js migrate
#   docker run --rm cxone-etl node dist/main.js sim --port 8787 --time-scale 0.01
#
# Configuration is the environment (.env.example lists every variable; no .env is copied into the image).
# Set DATABASE_URL: without it the CLI falls back to an embedded Postgres under DATA_DIR, which is meant
# for a laptop, not for a container (its data would die with the container).
#
# Stopping: on SIGTERM the daemon lets the current window finish or roll back for up to SHUTDOWN_GRACE
# (default 30 s). Docker's default stop timeout is 10 s, so give it more: `docker stop -t 40`, compose
# `stop_grace_period: 40s`, Kubernetes `terminationGracePeriodSeconds: 40`.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ -------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the compiled JavaScript only ------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps zombies (node as PID 1 does neither well).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
COPY bin ./bin
# The files stay root-owned and read-only to the service; only DATA_DIR (default .cxone-etl, used by the
# embedded-Postgres fallback alone) is writable by the non-root user.
RUN mkdir -p /app/.cxone-etl && chown node:node /app/.cxone-etl
USER node

# /healthz, /readyz and /metrics (HTTP_PORT).
EXPOSE 9464
# Liveness of the daemon (scheduler ticking); slim has no curl, so node's fetch asks. Other commands
# (sim, run, migrate) serve no /healthz: give their containers their own healthcheck or none.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js", "daemon"]
