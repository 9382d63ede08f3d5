/**
 * `builtins.fromTOML`: a TOML 1.0 parser that agrees with toml11 v4, the library C++ Nix 2.34
 * parses with (primops/fromTOML.cc), on which documents are valid and what they contain, plus
 * C++ Nix's treatment of the result:
 *
 * - integers are int64 (`bigint` here, always, so that `1` and `1.0` stay apart); literals
 *   beyond int64 are errors (`too large integer`), as are floats that overflow a double;
 *   `inf`/`nan` are floats;
 * - dates and times are an error, `Dates and times are not supported`, unless the
 *   `parse-toml-timestamps` feature is on; then they become `{ _type = "timestamp"; value =
 *   "…"; }` with toml11's rendering (`T` separator, `Z` for a zero offset, fractions cut to 3, 6
 *   or 9 digits, trailing zero groups dropped);
 * - a NUL byte in a key or string is an error;
 * - every error is `while parsing TOML: …`. For syntax errors that is toml11's report with the
 *   offending lines (report.ts), listing every error: after one, toml11 skips ahead and goes on,
 *   and so do we, in the same way. On the 240 rejected documents of the golden corpus the text
 *   is byte for byte C++ Nix's (as printed: Nix drops trailing blanks from each line).
 *
 * Strings in and out are binary strings (UTF-8 bytes, one char per byte), as the evaluator keeps
 * Nix strings; UTF-8 in the document is validated as toml11 does.
 *
 * How the builtin calls it:
 *
 *   const doc = fromToml(s, { timestamps: settings.isEnabled('parse-toml-timestamps') })
 *   // Map → attrset (Nix sorts names), array → list, bigint → int, number → float,
 *   // boolean, string, NixTimestamp → { _type = "timestamp"; value = …; }
 *   catch (e) { if (e instanceof FromTomlError) throw new EvalError(e.message, pos); throw e }
 */
export { fromToml, type FromTomlOptions, type FromTomlTable, type FromTomlValue, type NixTimestamp } from './from-toml.js'
export { FromTomlError } from './errors.js'
export { parseToml, type TomlDateTime, type TomlTable, type TomlValue } from './parse.js'
