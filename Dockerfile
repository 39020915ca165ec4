# syntax=docker/dockerfile:1
# The cmux-proxy image: the compiled binary on an empty root, nothing else.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t cmux-proxy .
#   docker run --rm -p 8080:8080 cmux-proxy
#
# Not built on the project's CI machines (no Docker engine there). test/shipping/docker-rootfs.test.ts
# builds the same runtime root with the same script and file list and runs it under chroot;
# test/shipping/podman.test.ts imports that root into podman with this file's runtime settings.

ARG BUN_VERSION=1.4.4

# Compiles on the build machine's own arch: Bun cross-compiles for TARGETARCH, no emulation needed.
FROM --platform=$BUILDPLATFORM oven/bun:${BUN_VERSION}-debian AS build
ARG TARGETARCH
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
RUN bun scripts/build.ts --target "$TARGETARCH" --binaries-only --outdir /out

# A Debian root of the target arch supplies the loader and libraries docker/runtime-files lists.
FROM debian:bookworm-slim AS rootfs
ARG TARGETARCH
COPY docker/runtime-files docker/assemble-rootfs.sh /docker/
COPY --from=build /out/ /out/
RUN sh /docker/assemble-rootfs.sh "$TARGETARCH" /out/cmux-proxy-linux-* /rootfs

FROM scratch
COPY --from=rootfs /rootfs/ /
EXPOSE 8080
ENV CMUX_LISTEN=0.0.0.0:8080
# Any unprivileged uid: the binary looks up no user name, so the image needs no /etc/passwd.
USER 65532:65532
# The image has no curl: the binary asks its own /healthz (`cmux-proxy healthcheck`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/local/bin/cmux-proxy", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/cmux-proxy"]
