# syntax=docker/dockerfile:1
# The sign-in service. Node 24 runs the TypeScript sources directly (type stripping): no build step.
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. Optional packages are the embedded PostgreSQL binaries (development
# only: the image always runs on DATABASE_URL) and pg-cloudflare.
RUN npm ci --omit=dev --omit=optional && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# Owned by root, run by `node`: the process cannot change its own code.
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY migrations ./migrations
COPY src ./src
COPY views ./views
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 and handles SIGTERM: in-flight requests finish, then the pool closes.
CMD ["node", "src/main.ts"]
