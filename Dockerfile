# Multi-stage build of ecgrid-gateway: build with the Rust toolchain, run on
# a slim Debian as a non-root user. Configuration comes from the
# environment (ECGRID_GATEWAY_<FLAG>, e.g. ECGRID_GATEWAY_UPSTREAM).
# Base images are pinned to exact versions (the toolchain the repository is
# built and tested with, and a Debian point release); bump them on purpose.
FROM rust:1.95.0-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY wsdl ./wsdl
# Cargo.toml declares the criterion benches; cargo refuses a manifest whose
# declared targets are missing, even when building only the binary.
COPY benches ./benches
# Stripped, without the debug line tables [profile.release] keeps for
# profiling: the image only runs it.
RUN CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked --bin ecgrid-gateway

FROM debian:12.11-slim
# The upstream's certificates are checked against the Mozilla roots built
# into the binary (webpki-roots), so the image needs no CA bundle.
RUN useradd --system --uid 10001 --no-create-home gateway
COPY --from=build /src/target/release/ecgrid-gateway /usr/local/bin/ecgrid-gateway
USER 10001
ENV ECGRID_GATEWAY_LISTEN=0.0.0.0:8080 \
    ECGRID_GATEWAY_LOG_FORMAT=json
EXPOSE 8080
# The binary asks its own /healthz (the image has no curl): exit 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["ecgrid-gateway", "healthcheck", "--timeout", "3s"]
ENTRYPOINT ["ecgrid-gateway", "serve"]
