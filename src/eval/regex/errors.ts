import { NixError } from '../../errors.js'

/**
 * The libstdc++ `regex_constants::error_type` that rejected a pattern. Only `space` is
 * observable in C++ Nix (it words that one differently); the rest say why, for debugging.
 */
export type RegexErrorKind =
  | 'collate' | 'ctype' | 'escape' | 'backref' | 'brack' | 'paren' | 'brace' | 'badbrace'
  | 'range' | 'space' | 'badrepeat' | 'null'

/**
 * A pattern libstdc++'s `std::regex(pattern, std::regex::extended)` would reject. The message is
 * C++ Nix's, ready for the builtin to raise as an `EvalError` at the call's position:
 * `invalid regular expression '…'` (prim_match / prim_split in primops.cc).
 */
export class InvalidRegexError extends NixError {
  constructor(readonly pattern: string, readonly kind: RegexErrorKind, readonly detail: string) {
    super('ERR_INVALID_REGEX', `invalid regular expression '${pattern}'`)
  }
}

/**
 * The compiled automaton would exceed libstdc++'s `_GLIBCXX_REGEX_STATE_LIMIT` (100000 states),
 * which C++ Nix reports as `memory limit exceeded by regular expression '…'`.
 */
export class RegexTooLargeError extends NixError {
  readonly kind = 'space'
  constructor(readonly pattern: string) {
    super('ERR_REGEX_TOO_LARGE', `memory limit exceeded by regular expression '${pattern}'`)
  }
}
