# syntax=docker/dockerfile:1
#
# The Tern image: one binary, `tern`, that runs any service with `tern serve --only NAME`.
#
#   docker build -t tern .
#   docker run --rm tern serve --only gateway
#
# Build arguments:
#   RUST_VERSION   the toolchain; keep it equal to `rust-version` in Cargo.toml.
#   WITH_LOADTEST  `auto` (default) also builds `tern-loadtest` when its package is in the
#                  workspace, `true` requires it, `false` skips it.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
ARG WITH_LOADTEST=auto
WORKDIR /src
COPY . .
# The cache mounts keep the registry and the target directory between builds; the binaries
# are copied out of the cache, since a cache mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    set -eu; \
    packages="-p tern"; \
    binaries="tern"; \
    case "$WITH_LOADTEST" in \
      true) packages="$packages -p tern-loadtest"; binaries="$binaries tern-loadtest" ;; \
      auto) if [ -f loadtest/Cargo.toml ]; then packages="$packages -p tern-loadtest"; binaries="$binaries tern-loadtest"; fi ;; \
      false) ;; \
      *) echo "WITH_LOADTEST must be auto, true or false" >&2; exit 1 ;; \
    esac; \
    cargo build --release --locked $packages; \
    mkdir -p /out; \
    for binary in $binaries; do cp "target/release/$binary" /out/; done

# Distroless: glibc and libgcc (which the binary links), CA certificates, a non-root user
# (uid 65532), and no shell or package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/ /usr/local/bin/
# Container defaults: listen on every interface and log JSON. The identity API keeps 9090,
# so the admin server (/healthz, /readyz, /metrics) moves to 8080 inside containers.
ENV TERN_ADMIN__LISTEN=0.0.0.0:8080 \
    TERN_TELEMETRY__LOG_FORMAT=json \
    TERN_TELEMETRY__LOG_ANSI=false
# Semtech UDP from gateways (gateway service).
EXPOSE 1700/udp
# Public gRPC API (identity service; it sets TERN_IDENTITY__LISTEN=0.0.0.0:9090).
EXPOSE 9090
# Admin server of every service.
EXPOSE 8080
USER nonroot:nonroot
# No HEALTHCHECK: the image has no shell or curl, and orchestrators probe /healthz and
# /readyz over HTTP themselves (Kubernetes httpGet probes). Where a command is needed, as in
# docker compose, the binary probes itself: `tern health --url http://127.0.0.1:8080/healthz`.
ENTRYPOINT ["tern"]
CMD ["serve"]
