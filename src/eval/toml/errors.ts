import { NixError } from '../../errors.js'

/**
 * `builtins.fromTOML` failed. The message is C++ Nix's EvalError text, `while parsing TOML: …`
 * (primops/fromTOML.cc), ready for the builtin to raise at the call's position. For syntax errors
 * it is toml11's report (every error it finds, as toml11 keeps going after the first), which
 * contains newlines and some trailing blanks: C++ Nix prints each line without trailing blanks.
 */
export class FromTomlError extends NixError {
  /** `detail`: what toml11 (or C++ Nix's conversion) says, without the prefix. */
  constructor(readonly detail: string) {
    super('ERR_FROM_TOML', `while parsing TOML: ${detail}`)
  }
}
