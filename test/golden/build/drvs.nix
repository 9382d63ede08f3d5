# The differential suite's derivations (test/golden/build/README.md). Built by stock C++
# clients against C++ nix-daemon and against tsnix daemon; everything must come out the same.
# Builders are a static busybox (`bb`), so no nixpkgs is needed.
{ bb, nonce ? "0", srcDir, httpUrl ? "http://127.0.0.1:1/none" }:
let
  mk = name: script: attrs: derivation ({
    inherit name nonce;
    system = "x86_64-linux";
    builder = bb;
    args = [ "sh" "-c" script ];
  } // attrs);
  sha256Of = s: builtins.hashString "sha256" s;
  script = builtins.toFile "script.sh" ''
    mkdir -p $out/lib
    echo "from a source input" > $out/lib/data
  '';
  srcFile = "${srcDir}/payload.txt";
  outOf = ''out=$(sed -n 's/.*"out":"\([^"]*\)".*/\1/p' /build/.attrs.json)'';
in rec {
  # --- builds that succeed --------------------------------------------------------------
  simple = mk "simple" "echo hello > $out" {};
  tree = mk "tree" ''
    mkdir -p $out/bin $out/share/doc $out/empty
    printf '#!/bin/sh\necho run\n' > $out/bin/run
    chmod 755 $out/bin/run
    echo doc > $out/share/doc/README
    ln -s ../share/doc $out/docs
    ln -s /nonexistent $out/dangling
    touch $out/bin/run-hardlinked && rm $out/bin/run-hardlinked && ln $out/bin/run $out/bin/run-hardlinked
  '' {};
  multi = mk "multi" ''
    mkdir $out $dev $doc
    echo out > $out/o
    echo $out > $dev/refers-to-out
    echo doc > $doc/d
  '' { outputs = [ "out" "dev" "doc" ]; };
  chain1 = mk "chain1" "echo one > $out" {};
  chain2 = mk "chain2" "cat ${chain1} > $out; echo ${chain1} >> $out" {};
  chain3 = mk "chain3" "cat ${chain2} > $out; echo ${chain2} >> $out" {};
  diamondBase = mk "diamond-base" "echo base > $out" {};
  diamondLeft = mk "diamond-left" "echo ${diamondBase} left > $out" {};
  diamondRight = mk "diamond-right" "echo ${diamondBase} right > $out" {};
  diamondTop = mk "diamond-top" "mkdir $out; cat ${diamondLeft} ${diamondRight} > $out/both" {};
  selfRef = mk "self-ref" "mkdir $out; echo $out > $out/me" {};
  refByName = mk "ref-by-name" ''mkdir $out; touch $out/$(basename ${simple})'' {};
  refBySymlink = mk "ref-by-symlink" "ln -s ${simple} $out" {};
  fromSource = mk "from-source" ". ${script}" {};
  closureRef = mk "closure-ref" "cat ${chain3} > $out" {};
  fodShellFlat = mk "fod-shell-flat" "echo -n fixed > $out" {
    outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = sha256Of "fixed";
  };
  fodShellRecursive = mk "fod-shell-recursive" "mkdir $out; echo -n fixed > $out/f; ln -s f $out/l" {
    outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "sha256-rqo3lljaCxhEFcUmBDj2IQT5OUIgfRpiDPjC1/UhQ0s=";
  };
  fetchFileFlat = derivation {
    name = "fetch-file-flat"; system = "builtin"; builder = "builtin:fetchurl";
    url = "file://${srcFile}"; outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = sha256Of "payload\n"; inherit nonce;
  };
  fetchFileRecursive = derivation {
    name = "fetch-file-recursive"; system = "builtin"; builder = "builtin:fetchurl";
    url = "file://${srcFile}"; executable = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "sha256-CngZ8ulxQ2Wq2RuR9uO35ga7dRi1i6Q/zMc4IHRHjUM="; inherit nonce;
  };
  fetchHttp = derivation {
    name = "fetch-http"; system = "builtin"; builder = "builtin:fetchurl";
    url = httpUrl; outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = sha256Of "payload\n"; inherit nonce;
  };
  # What `nix-channel --update` builds: the tarball unpacked, its single entry renamed.
  unpackChannel = derivation {
    name = "channel"; system = "builtin"; builder = "builtin:unpack-channel";
    src = /. + "${srcDir}/channel.tar"; channelName = "mychannel"; inherit nonce;
  };
  caFloating = mk "ca-floating" "mkdir $out; echo floating > $out/f" {
    __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
  };
  caSelfRef = mk "ca-self-ref" "mkdir $out; echo $out > $out/me; ln -s $out/me $out/link" {
    __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256";
  };
  caDependent = mk "ca-dependent" "cat ${caFloating}/f > $out; echo ${caFloating} >> $out" {};
  caFlat = mk "ca-flat" "echo flat > $out" {
    __contentAddressed = true; outputHashMode = "flat"; outputHashAlgo = "sha256";
  };
  structured = mk "structured" ''
    ${outOf}
    mkdir $out
    cp /build/.attrs.json $out/attrs.json
    cp /build/.attrs.sh $out/attrs.sh
  '' {
    __structuredAttrs = true;
    list = [ 1 "two" true null 3.5 ];
    nested = { a.b = "c"; };
    outputChecks.out = { allowedReferences = [ "out" ]; maxSize = 100000; };
  };
  # 2.8 writes no `valid` field (2.34 does): structuredGraph drops it, structuredGraphValid keeps it.
  structuredGraph = mk "structured-graph" ''
    ${outOf}
    sed 's/"narHash":"[^"]*",//g; s/,"valid":true//g' /build/.attrs.json > $out
  '' { __structuredAttrs = true; exportReferencesGraph.graph = [ chain3 fodShellFlat ]; };
  structuredGraphValid = mk "structured-graph-valid" ''
    ${outOf}
    cp /build/.attrs.json $out
  '' { __structuredAttrs = true; exportReferencesGraph.graph = [ chain3 fodShellFlat ]; };
  passAsFile = mk "pass-as-file" "cp $bigPath $out; echo $big >> $out" {
    big = "a value passed as a file\nwith two lines"; passAsFile = [ "big" ];
  };
  exportGraph = mk "export-graph" "cp graph $out" { exportReferencesGraph = [ "graph" chain3 ]; };
  allowedOk = mk "allowed-ok" "echo ${simple} > $out" { allowedReferences = [ simple ]; };
  allowedRequisitesOk = mk "allowed-requisites-ok" "echo ${chain2} > $out" { allowedRequisites = [ chain2 chain1 ]; };
  disallowedOk = mk "disallowed-ok" "echo ${simple} > $out" { disallowedReferences = [ chain1 ]; };
  env = mk "env" "env | sort | grep -v '^PWD=\\|^SHLVL=' > $out" { NIX_BUILD_CORES_IGNORED = "1"; };

  # Who the builder runs as (sandbox = false with build users: the first free nixbld user).
  whoami = mk "whoami" "id -u > $out; id -g >> $out" {};
  nondeterministic = mk "nondeterministic" "cat /proc/sys/kernel/random/uuid > $out" {};

  # --- builds that fail -----------------------------------------------------------------
  failing = mk "failing" "echo line1; echo line2 >&2; exit 3" {};
  disallowed = mk "disallowed" "echo ${simple} > $out" { disallowedReferences = [ simple ]; };
  allowedBad = mk "allowed-bad" "echo ${simple} ${chain1} > $out" { allowedReferences = [ simple ]; };
  allowedRequisitesBad = mk "allowed-requisites-bad" "echo ${chain2} > $out" { allowedRequisites = [ chain2 ]; };
  structuredTooBig = mk "structured-too-big" ''${outOf}; echo too big > $out'' {
    __structuredAttrs = true; outputChecks.out.maxSize = 4;
  };
  timeout = mk "timeout" "echo start; sleep 60" {};
  silent = mk "silent" "echo start; sleep 60" {};
  hashMismatch = mk "hash-mismatch" "echo -n abc > $out" {
    outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = sha256Of "xyz";
  };
  noOutput = mk "no-output" "echo nothing" {};
  depFailed = mk "dep-failed" "cat ${failing} > $out" {};
  logLimit = mk "log-limit" ''i=0; while [ $i -lt 200 ]; do echo 0123456789012345678901234567890123456789; i=$((i+1)); done; echo > $out'' {};
  jobsZero = mk "jobs-zero" "echo > $out" {};
  wrongSystem = mk "wrong-system" "echo > $out" { system = "riscv64-linux"; };
  missingFeature = mk "missing-feature" "echo > $out" { requiredSystemFeatures = [ "gpu" ]; };
  builderMissing = derivation { name = "builder-missing"; system = "x86_64-linux"; builder = "/nonexistent/builder"; inherit nonce; };
  fetchMissing = derivation {
    name = "fetch-missing"; system = "builtin"; builder = "builtin:fetchurl";
    url = "file://${srcDir}/does-not-exist"; outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = sha256Of "x"; inherit nonce;
  };
}
