# MiniTwit's image: compiled on Bun's image (same version as package.json), run as one executable
# on distroless (glibc, no shell, non-root). No `# syntax=` line: it builds offline, with or without BuildKit.
# Build:
#   docker build --build-arg VERSION=1.0.0 --build-arg REVISION=$(git rev-parse HEAD) -t minitwit .

ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /src
# Runtime dependencies only, exactly as locked; no lifecycle scripts (the git-hook setup is for clones).
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile --ignore-scripts
COPY tsconfig.json bunfig.toml ./
COPY sql ./sql
COPY views ./views
COPY src ./src
# SQL, views, the stylesheet and PGlite's wasm and data bundle are embedded in dist/minitwit.
RUN bun run build && mkdir -p /out/data && cp dist/minitwit /out/minitwit

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""
LABEL org.opencontainers.image.title="minitwit" \
      org.opencontainers.image.description="MiniTwit: a Twitter clone with a simulator API, one Bun executable" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
WORKDIR /app
# The executable belongs to root (the runtime user cannot change it); the user owns only /app/data.
COPY --from=build /out/minitwit /app/minitwit
COPY --from=build --chown=nonroot:nonroot /out/data /app/data
ENV NODE_ENV=production \
    APP_VERSION=${VERSION} \
    HOST=0.0.0.0 \
    PORT=5000 \
    API_PORT=5001 \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0 \
    DATA_DIR=/app/data
USER nonroot
EXPOSE 5000 5001 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/app/minitwit", "healthcheck"]
ENTRYPOINT ["/app/minitwit"]
CMD ["serve"]
