import { FromTomlError } from './errors.js'
import { parseToml, prepared, TomlParseErrors, type TomlHooks } from './parse.js'
import { formatError } from './report.js'

/** A TOML date/time as `builtins.fromTOML` returns it with `parse-toml-timestamps`. */
export interface NixTimestamp {
  readonly _type: 'timestamp'
  /** toml11's rendering, e.g. `1979-05-27T07:32:00Z`, `07:32:00.123400`. */
  readonly value: string
}

/** What `builtins.fromTOML` produces, before it becomes Nix values. */
export type FromTomlValue = string | bigint | number | boolean | FromTomlValue[] | FromTomlTable | NixTimestamp
export type FromTomlTable = Map<string, FromTomlValue>

export interface FromTomlOptions {
  /** The `parse-toml-timestamps` experimental feature. */
  readonly timestamps: boolean
}

/** C++ `forceNoNullByte`: Nix strings cannot hold NUL; the message shows it as U+2400. */
function noNul(s: string): string {
  if (s.includes('\0')) {
    const shown = s.replaceAll('\0', '\u00e2\u0090\u0080') // "␀" in UTF-8, as bytes
    throw new FromTomlError(`error: input string '${shown}' cannot be represented as Nix string because it contains null bytes`)
  }
  return s
}

const withTimestamps: TomlHooks<FromTomlValue> = {
  leaf: (v) => (typeof v === 'string' ? noNul(v) : typeof v === 'object' ? { _type: 'timestamp', value: v.text } : v),
  key: noNul,
}
const withoutTimestamps: TomlHooks<FromTomlValue> = {
  leaf: (v) => {
    if (typeof v === 'object') throw new FromTomlError('Dates and times are not supported')
    return typeof v === 'string' ? noNul(v) : v
  },
  key: noNul,
}

/**
 * `builtins.fromTOML s`: the document's root table, or FromTomlError with C++ Nix's message.
 * Keys are visited in document order (C++ walks an unordered_map, so which of two post-parse
 * errors — a NUL byte, a timestamp without the feature — it reports first is unspecified).
 */
export function fromToml(text: string, opts: FromTomlOptions = { timestamps: false }): FromTomlTable {
  try {
    return parseToml(text, opts.timestamps ? withTimestamps : withoutTimestamps) as FromTomlTable
  } catch (e) {
    if (e instanceof TomlParseErrors) {
      const src = prepared(text)
      throw new FromTomlError(e.infos.map((i) => formatError(src, i)).join(''))
    }
    throw e
  }
}
