#!/usr/bin/env bash
# Runs the whole CI (.ci/run: apt packages, bun install, shim build, bun run test) inside a Debian +
# Bun container, for machines with Docker but without the toolchain. Works on a copy of the
# checkout, so the container never writes into it. --privileged because the shipping tests chroot
# into the image's root filesystem with its own mount and PID namespaces (unshare), as Docker would.
# Not exercised on the project's CI machines (no Docker engine there).
set -euo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION=$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' package.json)
exec docker run --rm --privileged -v "$PWD":/checkout:ro "oven/bun:${BUN_VERSION}-debian" bash -c '
  set -euo pipefail
  mkdir /work
  tar -C /checkout --exclude=./node_modules --exclude=./dist --exclude=./ldpreload/*.so --exclude=./ldpreload/*.o -cf - . | tar -C /work -xf -
  cd /work && .ci/run
'
