# tokenvend container image: compile with dev dependencies, run with production dependencies only.
# The signing key and the caller list are secrets mounted as files, never baked into the image or
# passed as plain environment variables. Where they are mounted is the deployment's choice, so the
# image sets none of PRIVATE_KEY_FILE, SIGNING_KEYS_FILE or CALLERS_FILE (the first two exclude each
# other): docker-compose.yml sets PRIVATE_KEY_FILE and CALLERS_FILE, deploy/kubernetes sets
# SIGNING_KEYS_FILE and CALLERS_FILE.
# Node 26 is the Active LTS line (Node 20 reached end of life in April 2026); CI tests Node 20.

FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces' manifests first, so `npm ci` can link them; the service's CLI uses @tokenvend/verify.
COPY packages/client/package.json ./packages/client/
COPY packages/verify/package.json ./packages/verify/
RUN npm ci
COPY tsconfig.json tsconfig.build.json openapi.yaml redocly.yaml ./
COPY packages ./packages
COPY src ./src
# Compiles to dist/ and renders the API reference (dist/docs/index.html) from openapi.yaml.
RUN npm run build

FROM node:26-trixie-slim AS runtime
# METRICS_PORT moves GET /metrics off the token port, so only Prometheus need reach 9464.
ENV NODE_ENV=production \
    PORT=8080 \
    METRICS_PORT=9464
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/packages/client/package.json ./packages/client/
COPY --from=build /app/packages/verify/package.json ./packages/verify/
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/packages/verify/dist ./packages/verify/dist
# GET /openapi.yaml serves the spec the image was built from.
COPY openapi.yaml ./
# The app files stay owned by root: the process can read its code but not change it.
USER node
EXPOSE 8080 9464
# Slim images have no curl; Node has a global fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server/main.js"]
