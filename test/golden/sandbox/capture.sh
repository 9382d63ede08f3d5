#!/bin/sh
# capture.sh — run probe.nix under C++ Nix's own sandbox and record what its builders saw.
# Writes, next to this script, for each Nix version V:
#   probe-V.txt        the sandboxed build's view (probe.sh output)
#   probe-fod-V.txt    the fixed-output build's view
#   structured-V.drv   the structured derivation (its __json attribute is the input)
#   structured-V.txt   the .attrs.json / .attrs.sh that Nix wrote (output)
#
# Nix 2.8: the host's Debian nix-store, isolated store/state/conf under a temp dir.
# Nix 2.34: the reference tree (/var/tmp/reference-nix, see shared/tools/reference-nix),
# entered with pivot_root (shared/tools/sandbox-probe/in-tree.sh) so its sandbox works.
# Both with sandbox = true, sandbox-paths = /bin/sh=<static busybox>, build-users-group
# empty, cores = 1. Run as root:
#
#   sh test/golden/sandbox/capture.sh            # both versions
#   ONLY=2.8 sh test/golden/sandbox/capture.sh   # one of them
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${TSNIX_SHARED:-$HERE/../../../../shared}
BUSYBOX=${BUSYBOX:-/bin/busybox}
TREE=${REFERENCE_NIX_ROOT:-/var/tmp/reference-nix}
ONLY=${ONLY:-}
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# Commands run against an isolated store rooted at $1 (a path as the running Nix sees it);
# results go to $2. Shared by both versions (2.34 runs it inside the tree).
cat > "$SCRATCH/run.sh" <<'EOF'
set -eu
R=$1; OUT=$2; SRC=$3
export NIX_STORE_DIR=$R/store NIX_STATE_DIR=$R/var NIX_LOG_DIR=$R/log NIX_CONF_DIR=$R/conf NIX_REMOTE=local
V=$(nix-store --version | sed 's/.* //')
p=$(nix-build --no-out-link "$SRC/probe.nix" -A sandboxed)
cat "$p" > "$OUT/probe-$V.txt"
nix-build --no-out-link "$SRC/probe.nix" -A fod > /dev/null 2> "$R/fod.log"
sed -n '/^== argv$/,/^== end$/p' "$R/fod.log" > "$OUT/probe-fod-$V.txt"
drv=$(nix-instantiate "$SRC/probe.nix" -A structured 2>/dev/null)
cat "$drv" > "$OUT/structured-$V.drv"
s=$(nix-store -r "$drv" 2>/dev/null)
cat "$s" > "$OUT/structured-$V.txt"
echo "captured Nix $V"
EOF

conf() {
  mkdir -p "$1"
  printf 'sandbox = true\nsandbox-paths = /bin/sh=%s\nbuild-users-group =\nsubstituters =\ncores = 1\n' "$2" > "$1/nix.conf"
}

if [ -z "$ONLY" ] || [ "$ONLY" = 2.8 ]; then
  R=$SCRATCH/nix28
  conf "$R/conf" "$BUSYBOX"
  sh "$SCRATCH/run.sh" "$R" "$HERE" "$HERE"
fi

if [ -z "$ONLY" ] || [ "$ONLY" = 2.34 ]; then
  [ -x "$TREE/usr/bin/nix" ] || { echo "no reference Nix tree at $TREE" >&2; exit 1; }
  T=tmp/tsnix-sandbox-capture-$$
  mkdir -p "$TREE/$T/out"
  cleanup_tree() { rm -rf "${TREE:?}/$T"; }
  trap 'cleanup_tree; rm -rf "$SCRATCH"' EXIT
  cp "$BUSYBOX" "$TREE/$T/busybox"
  cp "$HERE/probe.nix" "$HERE/probe.sh" "$SCRATCH/run.sh" "$TREE/$T/"
  conf "$TREE/$T/conf" "/$T/busybox"
  OLD=tmp/.in-tree-oldroot-$$ TREE=$TREE sh "$SHARED/tools/sandbox-probe/in-tree.sh" "sh /$T/run.sh /$T /$T/out /$T"
  cp "$TREE/$T/out/"* "$HERE/"
fi
