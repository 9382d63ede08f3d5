/**
 * Nix files C++ Nix ships inside the binary and exposes as `<nix/NAME>` (its "corepkgs").
 * Written here to behave as upstream's: `fetchurl.nix` builds a `builtin:fetchurl` fixed-output
 * derivation from the usual arguments.
 */
export const COREPKGS: ReadonlyMap<string, string> = new Map([
  ['fetchurl.nix', `{
  system ? "", # obsolete
  url,
  hash ? "", # an SRI hash
  # legacy hash attributes
  md5 ? "",
  sha1 ? "",
  sha256 ? "",
  sha512 ? "",
  outputHash ?
    if hash != "" then hash
    else if sha512 != "" then sha512
    else if sha1 != "" then sha1
    else if md5 != "" then md5
    else sha256,
  outputHashAlgo ?
    if hash != "" then ""
    else if sha512 != "" then "sha512"
    else if sha1 != "" then "sha1"
    else if md5 != "" then "md5"
    else "sha256",
  executable ? false,
  unpack ? false,
  name ? baseNameOf (toString url),
  impure ? false,
}:

derivation (
  {
    builder = "builtin:fetchurl";
    outputHashMode = if unpack || executable then "recursive" else "flat";
    inherit name url executable unpack;
    system = "builtin";
    preferLocalBuild = true;
    # proxy settings are taken from the caller's environment (allowed for fixed outputs)
    impureEnvVars = [ "http_proxy" "https_proxy" "ftp_proxy" "all_proxy" "no_proxy" ];
    urls = [ url ];
  }
  // (if impure then { __impure = true; } else { inherit outputHashAlgo outputHash; })
)
`],
])
