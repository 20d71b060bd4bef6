# Multi-stage build of ecgrid-gateway: build with the Rust toolchain, run on
# a slim Debian as a non-root user. Configuration comes from the
# environment (ECGRID_GATEWAY_<FLAG>, e.g. ECGRID_GATEWAY_UPSTREAM).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY wsdl ./wsdl
# Cargo.toml declares the [[bench]] targets; cargo wants their files present.
COPY benches ./benches
RUN cargo build --release --locked --bin ecgrid-gateway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home gateway
COPY --from=build /src/target/release/ecgrid-gateway /usr/local/bin/ecgrid-gateway
USER 10001
ENV ECGRID_GATEWAY_LISTEN=0.0.0.0:8080 \
    ECGRID_GATEWAY_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["ecgrid-gateway", "serve"]
