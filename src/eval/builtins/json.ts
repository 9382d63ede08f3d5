/**
 * JSON conversion (C++ value-to-json.cc with nlohmann::json's serialiser, and
 * json-to-value.cc): sorted object keys, nlohmann's float format, UTF-8 validation, and
 * nlohmann's parse error messages for common mistakes.
 */
import { EvalError, NixTypeError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, type ContextElem, NixFloat, NixPath, NixString, type Value, mkString, showType } from '../value.js'
import type { BuiltinGroup } from './registry.js'
import { floatToJson } from '../printf/index.js'

// ---- serialising ----------------------------------------------------------------------------

/** nlohmann::json's `dump` of a double (its Grisu2 digits and layout; see ../printf). */
export const jsonFloat = floatToJson

/** A JSON string literal of a binary string holding UTF-8 (nlohmann escaping and validation). */
export function jsonString(s: string): string {
  let out = '"'
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
      continue
    }
    // Validate one UTF-8 sequence; copy its bytes through.
    let len = 0
    if (c >= 0xc2 && c <= 0xdf) len = 2
    else if (c >= 0xe0 && c <= 0xef) len = 3
    else if (c >= 0xf0 && c <= 0xf4) len = 4
    let ok = len > 0 && i + len <= n
    for (let j = 1; ok && j < len; j++) {
      const d = s.charCodeAt(i + j)
      let lo = 0x80
      let hi = 0xbf
      if (j === 1) {
        if (c === 0xe0) lo = 0xa0
        else if (c === 0xed) hi = 0x9f
        else if (c === 0xf0) lo = 0x90
        else if (c === 0xf4) hi = 0x8f
      }
      if (d < lo || d > hi) ok = false
    }
    if (!ok) {
      let bad = i
      if (len > 0) { for (let j = 1; j < len && i + j < n; j++) { bad = i + j; const d = s.charCodeAt(bad); if (d < 0x80 || d > 0xbf) break } }
      const byte = s.charCodeAt(Math.min(bad, n - 1))
      throw new EvalError(`JSON serialization error: [json.exception.type_error.316] invalid UTF-8 byte at index ${bad}: 0x${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    }
    out += s.slice(i, i + len)
    i += len
  }
  return out + '"'
}

/** C++ printValueAsJSON (strict): the JSON text. */
export function valueToJSON(st: EvalState, v: Value, pos: PosIdx, ctx: Set<ContextElem>, copyToStore = true): string {
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
      return valueToJSON(st, v.get('outPath')!, v.posOf('outPath'), ctx, copyToStore)
    } else {
      const parts: string[] = []
      for (const k of v.keys()) {
        try {
          parts.push(jsonString(k) + ':' + valueToJSON(st, v.get(k)!, v.posOf(k), ctx, copyToStore))
        } catch (e) {
          if (e instanceof EvalError) e.addTrace(v.posOf(k), `while evaluating attribute '${k}'`)
          throw e
        }
      }
      r = '{' + parts.join(',') + '}'
    }
  } else if (Array.isArray(v)) {
    const parts: string[] = []
    for (let i = 0; i < v.length; i++) {
      try {
        parts.push(valueToJSON(st, v[i]!, pos, ctx, copyToStore))
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

/** Parse JSON text (a binary string holding UTF-8) into Nix values, nlohmann-compatible. */
export function parseJSON(st: EvalState, s: string): Value {
  let i = 0
  let line = 1
  let lineStart = 0
  const n = s.length
  let tokenStart = 0
  const fail = (kind: string, detail: string): never => {
    // nlohmann counts the offending character (or the end of input) as read.
    const col = i - lineStart + 1
    const lastRead = s.slice(tokenStart, Math.min(i + 1, n))
    void lastRead
    throw new JSONParseError(`[json.exception.parse_error.101] parse error at line ${line}, column ${col}: syntax error while parsing ${kind} - ${detail}`)
  }
  const ws = (): void => {
    while (i < n) {
      const c = s[i]
      if (c === ' ' || c === '\t' || c === '\r') i++
      else if (c === '\n') { i++; line++; lineStart = i }
      else break
    }
  }
  const expectMsg = (what: string): string => (i >= n ? `unexpected end of input; expected ${what}` : `unexpected '${s[i]}'; expected ${what}`)
  const noNul = (x: string): string => {
    if (x.indexOf('\0') >= 0) throw new EvalError(`input string '${x.replace(/\0/g, '\xe2\x90\x80')}' cannot be represented as Nix string because it contains null bytes`)
    return x
  }
  const parseString = (): string => {
    tokenStart = i
    i++ // opening quote
    let out = ''
    for (;;) {
      if (i >= n) fail('value', "invalid string: missing closing quote; last read: '" + s.slice(tokenStart, i) + "'")
      const c = s[i]!
      const code = c.charCodeAt(0)
      if (c === '"') { i++; return out }
      if (code < 0x20) fail('value', `invalid string: control character U+${code.toString(16).toUpperCase().padStart(4, '0')} (${ctrlName(code)}) must be escaped to \\u${code.toString(16).toUpperCase().padStart(4, '0')}; last read: '${s.slice(tokenStart, i + 1)}'`)
      if (c === '\\') {
        const e = s[i + 1]
        i += 2
        switch (e) {
          case '"': out += '"'; break
          case '\\': out += '\\'; break
          case '/': out += '/'; break
          case 'b': out += '\b'; break
          case 'f': out += '\f'; break
          case 'n': out += '\n'; break
          case 'r': out += '\r'; break
          case 't': out += '\t'; break
          case 'u': {
            const h = s.slice(i, i + 4)
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('value', `invalid string: '\\u' must be followed by 4 hex digits; last read: '${s.slice(tokenStart, i)}'`)
            i += 4
            let cp = parseInt(h, 16)
            if (cp >= 0xd800 && cp <= 0xdbff) {
              const h2 = s.slice(i + 2, i + 6)
              if (s[i] === '\\' && s[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(h2)) {
                const lo = parseInt(h2, 16)
                if (lo >= 0xdc00 && lo <= 0xdfff) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i += 6 }
                else fail('value', `invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '${s.slice(tokenStart, i)}'`)
              } else fail('value', `invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF; last read: '${s.slice(tokenStart, i)}'`)
            }
            out += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1')
            break
          }
          default: fail('value', `invalid string: forbidden character after backslash; last read: '${s.slice(tokenStart, i)}'`)
        }
        continue
      }
      out += c
      i++
    }
  }
  const parseValue = (): Value => {
    ws()
    if (i >= n) fail('value', 'unexpected end of input; expected \'[\', \'{\', or a literal')
    const c = s[i]!
    if (c === '{') {
      i++
      const map = new Map<string, Value>()
      ws()
      if (s[i] === '}') { i++; return new Attrs(map) }
      for (;;) {
        ws()
        if (s[i] !== '"') fail('object key', expectMsg('string literal'))
        const k = noNul(parseString())
        ws()
        if (s[i] !== ':') fail('object separator', expectMsg("':'"))
        i++
        map.set(k, parseValue())
        ws()
        if (s[i] === ',') { i++; continue }
        if (s[i] === '}') { i++; return new Attrs(map) }
        fail('object', expectMsg("'}'"))
      }
    }
    if (c === '[') {
      i++
      const out: Value[] = []
      ws()
      if (s[i] === ']') { i++; return out }
      for (;;) {
        out.push(parseValue())
        ws()
        if (s[i] === ',') { i++; continue }
        if (s[i] === ']') { i++; return out }
        fail('array', expectMsg("']'"))
      }
    }
    if (c === '"') return noNul(parseString())
    if (c === '-' || (c >= '0' && c <= '9')) {
      tokenStart = i
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(s.slice(i))
      if (!m) { i++; fail('value', `invalid number; expected digit after '-'; last read: '-'`) }
      const t = m![0]
      i += t.length
      if (m![2] === undefined && m![3] === undefined) {
        const b = BigInt(t)
        if (b >= -9223372036854775808n && b <= 9223372036854775807n) {
          return b <= 9007199254740991n && b >= -9007199254740991n ? Number(b) : b
        }
        if (b > 0n && b <= 18446744073709551615n) throw new EvalError(`unsigned json number ${t} outside of Nix integer range`)
      }
      const f = Number(t)
      if (!Number.isFinite(f)) throw new EvalError(`[json.exception.out_of_range.406] number overflow parsing '${t}'`)
      return new NixFloat(f)
    }
    for (const [lit, val] of [['true', true], ['false', false], ['null', null]] as const) {
      if (s.startsWith(lit, i)) { i += lit.length; return val }
    }
    tokenStart = i
    let j = i
    while (j < n && /[a-z]/.test(s[j]!)) j++
    const read = s.slice(i, Math.max(j, i) + 1)
    i = j
    return fail('value', `invalid literal; last read: '${read}'`)
  }
  const v = parseValue()
  ws()
  if (i < n) fail('value', `unexpected '${s[i]}'; expected end of input`)
  return v
}

function ctrlName(c: number): string {
  const names = ['NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI', 'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US']
  return names[c] ?? '?'
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
          if (e instanceof JSONParseError || (e instanceof EvalError && e.msg.startsWith('[json.exception'))) e.addTrace(noPos, 'while decoding a JSON string')
          throw e
        }
      },
    },
  ],
}
