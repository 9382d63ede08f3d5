# N independent trivial derivations for bench/build.ts (one `echo` each).
{ bb, n ? 30, nonce ? "0" }:
builtins.genList (i: derivation {
  name = "trivial-${toString i}";
  system = "x86_64-linux";
  builder = bb;
  args = [ "sh" "-c" "echo ${nonce}-${toString i} > $out" ];
}) n
