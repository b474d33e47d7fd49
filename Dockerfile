# certscan in a container: the binary, the Debian CA store (for --trust system) and a shell (for
# the Kubernetes examples in README), run as an unprivileged user.
#
#   docker build -t certscan .
#   docker run --rm certscan example.com:443
#   docker run --rm -p 9784:9784 -v /etc/certscan:/etc/certscan:ro certscan \
#       serve --listen 0.0.0.0:9784 --config /etc/certscan/exporter.toml

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# The versions of Cargo.lock, the ones the tests ran with.
RUN cargo build --release --locked && cp target/release/certscan /certscan

FROM debian:bookworm-slim
# ca-certificates follows Debian's security updates: not pinned to a version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 certscan \
    && useradd --system --uid 10001 --gid 10001 --no-create-home certscan
COPY --from=build /certscan /usr/local/bin/certscan
USER 10001:10001
EXPOSE 9784
ENTRYPOINT ["/usr/local/bin/certscan"]
CMD ["--help"]
