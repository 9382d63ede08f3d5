# probe.nix — builds that run probe.sh in C++ Nix's sandbox (capture.sh) and in ours
# (probe.test.ts, which runs the same script with the same environment variables).
{ nonce ? "0" }:
let
  probe = builtins.path { path = ./probe.sh; name = "probe.sh"; };
in {
  sandboxed = derivation {
    name = "probe";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ probe ];
    inherit nonce;
  };
  # Fixed-output: host network and /etc differences; the probe goes to the log.
  fod = derivation {
    name = "probe-fod";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" ". ${probe}; echo fixed > $out" ];
    PROBE_TO_LOG = "1";
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = builtins.hashString "sha256" "fixed\n";
    inherit nonce;
  };
  # Structured attributes: .attrs.json / .attrs.sh bytes.
  structured = derivation {
    name = "structured";
    system = "x86_64-linux";
    builder = "/bin/sh";
    __structuredAttrs = true;
    args = [ "-c" ''
      out=$(sed -n 's/.*"out":"\([^"]*\)".*/\1/p' /build/.attrs.json)
      { echo "== attrs.json"; cat /build/.attrs.json; echo; echo "== attrs.sh"; cat /build/.attrs.sh; } > "$out"
    '' ];
    ints = [ 0 1 (-7) 4294967297 ];
    floats = [ 1.0 0.5 (-2.25) 1.5e-7 1.0e21 100000000000000.0 ];
    aString = "it's \"quoted\"\n\ttabbed";
    flag = true;
    off = false;
    nothing = null;
    nested = { a = 1; b = [ "x" ]; };
    simpleSet = { k = "v"; n = 2; };
    "not-a-shell-name" = 1;
    inherit nonce;
  };
}
