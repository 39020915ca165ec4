#!/bin/sh
# Installs the cmux-proxy release binary for this machine (Linux x86_64 or aarch64):
#
#   curl -fsSL https://github.com/lawrencecchen/cmux-proxy/releases/latest/download/install.sh | sh
#
# Environment:
#   CMUX_PROXY_VERSION        "latest" (default) or a release: 0.1.0 or v0.1.0
#   CMUX_PROXY_BIN_DIR        where the binary goes (default /usr/local/bin; sudo only if it is not writable)
#   CMUX_PROXY_DOWNLOAD_BASE  the releases URL (default https://github.com/lawrencecchen/cmux-proxy/releases).
#                             A mirror lays files out the way GitHub releases do:
#                               latest:  <base>/latest/download/cmux-proxy-<target>.tar.gz and SHA256SUMS
#                               0.1.0:   <base>/download/v0.1.0/cmux-proxy-0.1.0-<target>.tar.gz and SHA256SUMS
# <target> is linux-x64 or linux-arm64. The tarball is checked against SHA256SUMS before anything
# is installed, and the binary must run here before it replaces an installed one.
#
# Plain POSIX sh, all in main(): a download cut short runs nothing.

set -eu

say() { printf 'cmux-proxy install: %s\n' "$*" >&2; }
die() {
  printf 'cmux-proxy install: error: %s\n' "$*" >&2
  exit 1
}

detect_target() {
  os=$(uname -s)
  [ "$os" = Linux ] || die "unsupported operating system '$os': release binaries are for Linux (build from source elsewhere)"
  arch=$(uname -m)
  case "$arch" in
    x86_64 | amd64) TARGET=linux-x64 ;;
    aarch64 | arm64) TARGET=linux-arm64 ;;
    *) die "unsupported architecture '$arch' (uname -m): release binaries exist for x86_64/amd64 and aarch64/arm64" ;;
  esac
}

choose_fetch() {
  if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
  elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q -O "$2" "$1"; }
  else
    die "neither curl nor wget found; install one of them"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  else
    die "need sha256sum, shasum or openssl to verify the download"
  fi
}

# Sets SUDO to "sudo" only when BIN_DIR (or the nearest existing parent, if it is to be created)
# is not writable by this user.
choose_sudo() {
  probe=$BIN_DIR
  while [ ! -d "$probe" ]; do probe=$(dirname "$probe"); done
  SUDO=
  if [ -w "$probe" ] || [ "$(id -u)" = 0 ]; then return 0; fi
  command -v sudo >/dev/null 2>&1 ||
    die "$BIN_DIR is not writable by this user and sudo is not available; run as root or set CMUX_PROXY_BIN_DIR to a directory you own (e.g. \$HOME/.local/bin)"
  say "$BIN_DIR is not writable by this user; using sudo"
  SUDO=sudo
}

cleanup() {
  rm -rf "$TMP"
  if [ -n "$STAGED" ]; then $SUDO rm -f "$STAGED"; fi
}

main() {
  VERSION=${CMUX_PROXY_VERSION:-latest}
  BIN_DIR=${CMUX_PROXY_BIN_DIR:-/usr/local/bin}
  BASE=${CMUX_PROXY_DOWNLOAD_BASE:-https://github.com/lawrencecchen/cmux-proxy/releases}
  BASE=${BASE%/}

  detect_target
  case "$VERSION" in
    latest)
      dir_url="$BASE/latest/download"
      file="cmux-proxy-$TARGET.tar.gz"
      ;;
    *)
      v=${VERSION#v}
      case "$v" in
        '' | *[!0-9A-Za-z.+-]*) die "invalid CMUX_PROXY_VERSION '$VERSION' (expected latest, 0.1.0 or v0.1.0)" ;;
      esac
      dir_url="$BASE/download/v$v"
      file="cmux-proxy-$v-$TARGET.tar.gz"
      ;;
  esac
  choose_fetch
  choose_sudo

  TMP=$(mktemp -d "${TMPDIR:-/tmp}/cmux-proxy-install.XXXXXX")
  STAGED=
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  say "downloading $dir_url/$file"
  fetch "$dir_url/$file" "$TMP/$file" || die "download failed: $dir_url/$file (is '$VERSION' a release? is CMUX_PROXY_DOWNLOAD_BASE right?)"
  fetch "$dir_url/SHA256SUMS" "$TMP/SHA256SUMS" || die "download failed: $dir_url/SHA256SUMS"

  expected=$(awk -v f="$file" '$2 == f || $2 == "*" f { print $1; exit }' "$TMP/SHA256SUMS")
  [ -n "$expected" ] || die "$dir_url/SHA256SUMS has no entry for $file; refusing to install"
  actual=$(sha256_of "$TMP/$file")
  [ "$actual" = "$expected" ] ||
    die "checksum mismatch for $file: SHA256SUMS says $expected, the download is $actual; refusing to install"
  say "verified sha256 $actual"

  mkdir "$TMP/x"
  tar -xzf "$TMP/$file" -C "$TMP/x" cmux-proxy || die "$file does not contain cmux-proxy"

  # Staged next to its final name, tried, then renamed over it: a running binary is replaced
  # atomically, and a binary that cannot run here never replaces a working one.
  $SUDO mkdir -p "$BIN_DIR"
  STAGED="$BIN_DIR/.cmux-proxy.install.$$"
  $SUDO cp "$TMP/x/cmux-proxy" "$STAGED"
  $SUDO chmod 0755 "$STAGED"
  if ! got=$("$STAGED" --version 2>&1); then
    die "the $TARGET binary does not run on this system ($got); release binaries need Linux with glibc (on musl, e.g. Alpine, use the Docker image or build from source)"
  fi
  if [ "$VERSION" != latest ] && [ "$got" != "$v" ]; then
    die "the downloaded binary reports version '$got', expected $v; refusing to install"
  fi
  $SUDO mv -f "$STAGED" "$BIN_DIR/cmux-proxy"
  STAGED=

  say "installed cmux-proxy $got ($TARGET) to $BIN_DIR/cmux-proxy"
  case ":${PATH:-}:" in
    *":$BIN_DIR:"*) ;;
    *) say "note: $BIN_DIR is not on PATH" ;;
  esac
}

main "$@"
