import { NixError } from '../../errors.js'

/**
 * `builtins.fromTOML` failed. The message is C++ Nix's EvalError text, `while parsing TOML: …`
 * (primops/fromTOML.cc), ready for the builtin to raise at the call's position. `exact` says
 * whether the part after the prefix is known to be byte for byte what C++ Nix 2.34 prints
 * (toml11's report for that error, or Nix's own wording); for other syntax errors the report
 * has toml11's shape but our own wording.
 */
export class FromTomlError extends NixError {
  constructor(message: string, readonly exact: boolean) {
    super('ERR_FROM_TOML', `while parsing TOML: ${message}`)
  }
}
