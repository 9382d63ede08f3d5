/**
 * JSON conversion (C++ value-to-json.cc with nlohmann::json's serialiser, and
 * json-to-value.cc): sorted object keys, nlohmann's float format, UTF-8 validation, and
 * nlohmann's parse error messages for common mistakes.
 */
import { EvalError, NixTypeError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { floatToJson } from '../printf/index.js'
import { JsonSyntaxError, parseJsonText } from '../json-parse.js'
import { printIdentifier } from '../show.js'
import { Attrs, type ContextElem, GenList, isList, NixFloat, NixPath, NixString, type Value, intFromBig, mkString, showType } from '../value.js'
import type { BuiltinGroup } from './registry.js'

// ---- serialising ----------------------------------------------------------------------------

/** nlohmann::json's `dump` of a double (its Grisu2 digits and layout; see ../printf). */
export const jsonFloat: (x: number) => string = floatToJson

/**
 * Marks invalid UTF-8 in the JSON text being built: C++ builds the whole JSON value first
 * (evaluation errors win) and fails only while serialising it, so `jsonString` leaves
 * `SENTINEL message SENTINEL` where nlohmann would throw, and `valueToJSON` throws at the end.
 * NUL never appears otherwise (control characters are escaped).
 */
const SENTINEL = '\0'

/**
 * A JSON string literal of a binary string holding UTF-8, escaped as nlohmann does. On invalid
 * UTF-8: the opening quote and the part nlohmann had flushed from its 512-byte buffer (what
 * reaches a stream before the exception), then the sentinel-wrapped error message.
 */
export function jsonString(s: string): string {
  let out = ''
  let flushed = 0
  const fail = (msg: string): string =>
    `"${out.slice(0, flushed)}${SENTINEL}JSON serialization error: [json.exception.type_error.316] ${msg}${SENTINEL}`
  const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0')
  let i = 0
  const n = s.length
  while (i < n) {
    const c = s.charCodeAt(i)
    if (c < 0x80) {
      if (c === 0x22) out += '\\"'
      else if (c === 0x5c) out += '\\\\'
      else if (c === 0x08) out += '\\b'
      else if (c === 0x0c) out += '\\f'
      else if (c === 0x0a) out += '\\n'
      else if (c === 0x0d) out += '\\r'
      else if (c === 0x09) out += '\\t'
      else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0')
      else out += s[i]
      i++
    } else {
      // One UTF-8 sequence, checked byte by byte as nlohmann's decoder does.
      let len = 0
      if (c >= 0xc2 && c <= 0xdf) len = 2
      else if (c >= 0xe0 && c <= 0xef) len = 3
      else if (c >= 0xf0 && c <= 0xf4) len = 4
      if (len === 0) return fail(`invalid UTF-8 byte at index ${i}: 0x${hex(c)}`)
      for (let j = 1; j < len; j++) {
        if (i + j >= n) return fail(`incomplete UTF-8 string; last byte: 0x${hex(s.charCodeAt(n - 1))}`)
        const d = s.charCodeAt(i + j)
        let lo = 0x80
        let hi = 0xbf
        if (j === 1) {
          if (c === 0xe0) lo = 0xa0
          else if (c === 0xed) hi = 0x9f
          else if (c === 0xf0) lo = 0x90
          else if (c === 0xf4) hi = 0x8f
        }
        if (d < lo || d > hi) return fail(`invalid UTF-8 byte at index ${i + j}: 0x${hex(d)}`)
      }
      out += s.slice(i, i + len)
      i += len
    }
    // nlohmann writes its buffer out when fewer than 13 of its 512 bytes are left.
    if (out.length - flushed > 499) flushed = out.length
  }
  return '"' + out + '"'
}

/** Invalid UTF-8 met while serialising: `partialOutput` is what C++ had written to the stream. */
export class JSONSerializationError extends EvalError {
  constructor(message: string, readonly partialOutput: string) { super(message) }
}

/** C++ printValueAsJSON (strict): the JSON text. */
export function valueToJSON(st: EvalState, v: Value, pos: PosIdx, ctx: Set<ContextElem>, copyToStore = true): string {
  const text = jsonOf(st, v, pos, ctx, copyToStore)
  const k = text.indexOf(SENTINEL)
  if (k < 0) return text
  throw new JSONSerializationError(text.slice(k + 1, text.indexOf(SENTINEL, k + 1)), text.slice(0, k))
}

function jsonOf(st: EvalState, v: Value, pos: PosIdx, ctx: Set<ContextElem>, copyToStore: boolean): string {
  if (st.depth++ > st.settings.maxCallDepth) st.callDepthExceeded(pos)
  v = st.force(v, pos)
  let r: string
  if (typeof v === 'number' || typeof v === 'bigint') r = String(v)
  else if (typeof v === 'boolean') r = v ? 'true' : 'false'
  else if (v === null) r = 'null'
  else if (typeof v === 'string') r = jsonString(v)
  else if (v instanceof NixString) { for (const c of v.context) ctx.add(c); r = jsonString(v.s) }
  else if (v instanceof NixFloat) r = jsonFloat(v.value)
  else if (v instanceof NixPath) {
    if (copyToStore) { const sp = st.copyPathToStore(v.path, pos); ctx.add(sp); r = jsonString(sp) } else r = jsonString(v.path)
  } else if (v instanceof Attrs) {
    const ts = v.get('__toString')
    if (ts !== undefined) {
      const res = st.callFunction(st.force(ts, pos), v, pos)
      r = jsonString(st.coerceToString(pos, res, ctx, 'while evaluating the result of the `__toString` attribute', false, false))
    } else if (v.has('outPath')) {
      st.depth--
      return jsonOf(st, v.get('outPath')!, v.posOf('outPath'), ctx, copyToStore)
    } else {
      const parts: string[] = []
      for (const k of v.keys()) {
        try {
          parts.push(jsonString(k) + ':' + jsonOf(st, v.get(k)!, v.posOf(k), ctx, copyToStore))
        } catch (e) {
          if (e instanceof EvalError) e.addTrace(v.posOf(k), `while evaluating attribute '${printIdentifier(k)}'`)
          throw e
        }
      }
      r = '{' + parts.join(',') + '}'
    }
  } else if (isList(v)) {
    if (v instanceof GenList) v = v.toArray()
    const parts: string[] = []
    for (let i = 0; i < v.length; i++) {
      try {
        parts.push(jsonOf(st, v[i]!, pos, ctx, copyToStore))
      } catch (e) {
        if (e instanceof EvalError) e.addTrace(pos, `while evaluating list element at index ${i}`)
        throw e
      }
    }
    r = '[' + parts.join(',') + ']'
  } else {
    throw new NixTypeError(`cannot convert ${showType(v)} to JSON`, st.determinePos(v, pos))
  }
  st.depth--
  return r
}

// ---- parsing --------------------------------------------------------------------------------

class JSONParseError extends EvalError {}

/** Parse JSON text (a binary string holding UTF-8) into Nix values, as C++ Nix's fromJSON. */
export function parseJSON(st: EvalState, s: string): Value {
  const noNul = (x: string): string => {
    if (x.indexOf('\0') >= 0) throw new EvalError(`input string '${x.replace(/\0/g, '\xe2\x90\x80')}' cannot be represented as Nix string because it contains null bytes`)
    return x
  }
  try {
    return parseJsonText<Value>(s, {
      string: x => noNul(x),
      key: k => { st.symbols.intern(noNul(k)) },
      integer: (text, unsigned) => {
        const b = BigInt(text)
        if (unsigned && b > 9223372036854775807n) throw new EvalError(`unsigned json number ${text} outside of Nix integer range`)
        return intFromBig(b)!
      },
      float: x => new NixFloat(x),
      bool: b => b,
      null: () => null,
      array: items => items,
      object: entries => new Attrs(new Map(entries)),
    })
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new JSONParseError(e.message)
    throw e
  }
}

export const jsonBuiltins: BuiltinGroup = {
  name: 'json',
  primops: [
    {
      name: '__toJSON', arity: 1, args: ['e'],
      impl: (st, args, pos) => {
        const ctx = new Set<ContextElem>()
        const s = valueToJSON(st, args[0]!, pos, ctx)
        return mkString(s, ctx)
      },
    },
    {
      name: '__fromJSON', arity: 1, args: ['e'],
      impl: (st, args, pos) => {
        const s = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.fromJSON')
        try {
          return parseJSON(st, s)
        } catch (e) {
          if (e instanceof JSONParseError) e.addTrace(noPos, 'while decoding a JSON string')
          throw e
        }
      },
    },
  ],
}
