#!/bin/sh
# tsnix quick start: install what is missing (Node.js >= 20, npm, a C compiler), install the
# dependencies, build, and start the daemon on its embedded defaults — as root it serves /nix
# (socket /nix/var/nix/daemon-socket/socket), as a normal user a chroot store under
# ~/.local/share/tsnix/root (it prints the --store URL clients use). Arguments go to
# `tsnix daemon` (e.g. --option trusted-users "root alice").
set -eu
cd "$(dirname "$0")"

node_ok() {
  command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]
}
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "quickstart: '$*' needs root (no sudo found)" >&2; exit 1
  fi
}

if ! node_ok || ! command -v npm >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    as_root apt-get update -qq
    # Debian 13 and Ubuntu 24.04 ship Node.js 20+; the C compiler builds the native addon
    # (peer credentials, locks) and, where no prebuilt binary fits, better-sqlite3.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm build-essential python3
  fi
fi
if ! node_ok; then
  echo "quickstart: Node.js >= 20 is required, found $(node --version 2>/dev/null || echo none)." >&2
  echo "  Debian 12 ships 18: install 20+ from https://nodejs.org/en/download or https://github.com/nodesource/distributions" >&2
  exit 1
fi

# install the dependencies unless node_modules matches the lockfile already
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: npm 11 may leave other platforms' optional packages out of
  # the lock file, which `npm ci` then refuses (see .ci/run)
  npm install --no-audit --no-fund
fi
npm run build --silent
exec node dist/src/cli/main.js daemon "$@"
