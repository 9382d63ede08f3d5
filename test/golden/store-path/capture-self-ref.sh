#!/usr/bin/env bash
# Capture self-ref.nar and self-ref.json: a content-addressed derivation whose output contains
# its own path, built by the Nix 2.34 reference chroot (../shared/tools/reference-nix) in a
# private store under the chroot's /tmp. Needs root (a private mount namespace binds /dev into
# the chroot, which builds need for their pseudoterminal).
#
#   test/golden/store-path/capture-self-ref.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${REFERENCE_NIX_ROOT:-/var/tmp/reference-nix}
work=$root/data/tsnix-self-ref
mkdir -p "$work"
cat > "$work/self.nix" <<'NIX'
derivation {
  name = "selfref";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = ["-c" "echo $out > $out"];
  __contentAddressed = true;
  outputHashMode = "recursive";
  outputHashAlgo = "sha256";
}
NIX
unshare -m sh -c "mount --rbind /dev '$root/dev' && { mountpoint -q '$root/proc' || mount -t proc proc '$root/proc'; } && chroot '$root' sh -c '
  set -e; rm -rf /tmp/tsnix-cas
  S=\"local?store=/tmp/tsnix-cas/store&state=/tmp/tsnix-cas/var&log=/tmp/tsnix-cas/log\"
  P=\$(nix build --extra-experimental-features \"ca-derivations nix-command\" --store \"\$S\" --option substituters \"\" \
        --option sandbox false --no-link --print-out-paths -f /data/tsnix-self-ref/self.nix 2>/dev/null)
  nix path-info --json --json-format 1 --store \"\$S\" \$P > /data/tsnix-self-ref/self-ref.json
  nix-store --store \"\$S\" --dump \$P > /data/tsnix-self-ref/self-ref.nar
  rm -rf /tmp/tsnix-cas'"
cp "$work/self-ref.json" "$work/self-ref.nar" "$here/"
rm -rf "$work"
echo "captured with $("$here/../../../../shared/tools/reference-nix" run 'nix --version' 2>/dev/null || echo 'reference Nix')"
