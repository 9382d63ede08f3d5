# Independent derivations for the parallelism test: each sleeps a little, so overlapping
# builds would show up in the progress counters.
{ bb, n ? 40, nonce ? "0", sleep ? "0.2" }:
builtins.genList (i: derivation {
  name = "many-${toString i}";
  system = "x86_64-linux";
  builder = bb;
  args = [ "sh" "-c" "sleep ${sleep}; echo ${toString i} > $out" ];
  inherit nonce;
}) n
