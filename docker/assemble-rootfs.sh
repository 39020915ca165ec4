#!/bin/sh
# Assembles the runtime image's root filesystem in DEST: the binary at /usr/local/bin/cmux-proxy
# (the Dockerfile's ENTRYPOINT) plus the files docker/runtime-files lists for ARCH, copied from
# this system's root with symlinks resolved. The Dockerfile runs it in a Debian stage of the
# target arch; test/shipping/docker-rootfs.test.ts runs it on the host and chroots into DEST.
#
#   sh docker/assemble-rootfs.sh ARCH BINARY DEST     (ARCH: amd64 or arm64, as Docker's TARGETARCH)
set -eu

if [ $# -ne 3 ]; then
  echo "usage: $0 ARCH BINARY DEST   (ARCH: amd64|arm64; DEST must not exist)" >&2
  exit 2
fi
arch=$1 binary=$2 dest=$3
list=$(dirname "$0")/runtime-files

if [ -e "$dest" ]; then
  echo "$0: $dest already exists; refusing to mix its contents into the image" >&2
  exit 1
fi
[ -f "$binary" ] || { echo "$0: no binary at $binary" >&2; exit 1; }

count=0
while read -r file_arch path; do
  case "$file_arch" in '' | '#'*) continue ;; esac
  [ "$file_arch" = "$arch" ] || continue
  mkdir -p "$dest$(dirname "$path")"
  cp -L "$path" "$dest$path"
  count=$((count + 1))
done <"$list"
if [ "$count" -eq 0 ]; then
  echo "$0: $list lists no files for arch '$arch' (expected amd64 or arm64)" >&2
  exit 1
fi

mkdir -p "$dest/usr/local/bin"
cp "$binary" "$dest/usr/local/bin/cmux-proxy"
chmod 0755 "$dest/usr/local/bin/cmux-proxy"
