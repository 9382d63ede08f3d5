import { NixError } from '../errors.js'

/** A `.drv` file (ATerm) is malformed or not in canonical form (C++ `FormatError`). */
export class DerivationParseError extends NixError {
  /** Character offset in the input where the problem was found. */
  readonly offset: number
  constructor(message: string, offset: number) {
    super('ERR_DRV_PARSE', `${message} (at offset ${offset})`)
    this.offset = offset
  }
}

/** Derivation JSON (`nix derivation show` format) is malformed. */
export class DerivationJsonError extends NixError {
  constructor(message: string) { super('ERR_DRV_JSON', message) }
}

/**
 * A derivation that parses but breaks a rule: mixed output kinds, a wrong output path, a
 * missing input hash, a reserved environment variable (C++ throws plain `Error` for these).
 */
export class InvalidDerivationError extends NixError {
  constructor(message: string) { super('ERR_DRV_INVALID', message) }
}

/** Text that should be JSON is not (used for `__json` and JSON input). */
export class JsonSyntaxError extends NixError {
  readonly offset: number
  constructor(message: string, offset: number) {
    super('ERR_JSON_SYNTAX', `${message} at offset ${offset}`)
    this.offset = offset
  }
}
