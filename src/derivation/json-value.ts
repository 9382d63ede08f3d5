/**
 * A lossless JSON value and its text form, as nlohmann::json (which C++ Nix uses) reads and
 * writes it: integers stay integers (`bigint`), floats stay floats (`number`, printed with a
 * `.0` when integral), objects are maps printed in byte order of their keys, and a repeated
 * key keeps its last value. `JSON.parse` cannot be used where this matters: it turns `1.0`
 * into `1` and orders integer-like keys first.
 *
 * Used for structured attrs (`__json`) and for `nix derivation show` output.
 */
import { JsonSyntaxError } from './errors.js'
import { compareUtf8 } from './order.js'

export type JsonValue = null | boolean | string | bigint | number | readonly JsonValue[] | JsonObject
export type JsonObject = ReadonlyMap<string, JsonValue>

/** Deepest nesting accepted by `parseJson` (nlohmann has none; we bound the recursion). */
export const MAX_JSON_DEPTH = 2048

const INT64_MIN = -(1n << 63n)
const UINT64_MAX = (1n << 64n) - 1n

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map
}

/** Parse JSON text strictly (RFC 8259, whole input), keeping integer/float apart. */
export function parseJson(text: string): JsonValue {
  const p = new JsonParser(text)
  p.ws()
  const v = p.value(0)
  p.ws()
  if (p.pos < text.length) p.fail(`unexpected ${describe(text, p.pos)} after the JSON value`)
  return v
}

function describe(text: string, pos: number): string {
  return pos >= text.length ? 'end of input' : `character ${JSON.stringify(text[pos])}`
}

class JsonParser {
  pos = 0
  constructor(private readonly s: string) {}

  fail(msg: string): never { throw new JsonSyntaxError(msg, this.pos) }

  ws(): void {
    const s = this.s
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++
      else break
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`)
    const c = this.s[this.pos]
    switch (c) {
      case '{': return this.object(depth)
      case '[': return this.array(depth)
      case '"': return this.string()
      case 't': return this.literal('true', true)
      case 'f': return this.literal('false', false)
      case 'n': return this.literal('null', null)
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number()
        this.fail(`expected a JSON value, got ${describe(this.s, this.pos)}`)
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.pos)) this.fail(`invalid literal, expected '${word}'`)
    this.pos += word.length
    return v
  }

  object(depth: number): JsonObject {
    this.pos++ // {
    const m = new Map<string, JsonValue>()
    this.ws()
    if (this.s[this.pos] === '}') { this.pos++; return m }
    for (;;) {
      this.ws()
      if (this.s[this.pos] !== '"') this.fail(`expected a string key, got ${describe(this.s, this.pos)}`)
      const k = this.string()
      this.ws()
      if (this.s[this.pos] !== ':') this.fail(`expected ':', got ${describe(this.s, this.pos)}`)
      this.pos++
      this.ws()
      // nlohmann assigns, so a repeated key keeps its last value
      m.set(k, this.value(depth + 1))
      this.ws()
      const c = this.s[this.pos++]
      if (c === '}') return m
      if (c !== ',') { this.pos--; this.fail(`expected ',' or '}', got ${describe(this.s, this.pos)}`) }
    }
  }

  array(depth: number): JsonValue[] {
    this.pos++ // [
    const a: JsonValue[] = []
    this.ws()
    if (this.s[this.pos] === ']') { this.pos++; return a }
    for (;;) {
      this.ws()
      a.push(this.value(depth + 1))
      this.ws()
      const c = this.s[this.pos++]
      if (c === ']') return a
      if (c !== ',') { this.pos--; this.fail(`expected ',' or ']', got ${describe(this.s, this.pos)}`) }
    }
  }

  string(): string {
    const s = this.s
    let i = ++this.pos // opening quote
    let out = ''
    let start = i
    for (;;) {
      if (i >= s.length) { this.pos = i; this.fail('unterminated string') }
      const c = s.charCodeAt(i)
      if (c === 0x22) { out += s.slice(start, i); this.pos = i + 1; return out }
      if (c < 0x20) { this.pos = i; this.fail('control character in string must be escaped') }
      if (c === 0x5c) {
        out += s.slice(start, i)
        const e = s[i + 1]
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
            const at = i
            const u = this.hex4(i + 2)
            i += 4
            if (u >= 0xd800 && u <= 0xdbff) {
              if (s[i + 2] !== '\\' || s[i + 3] !== 'u') { this.pos = at; this.fail('high surrogate \\u escape not followed by a low surrogate') }
              const lo = this.hex4(i + 4)
              if (lo < 0xdc00 || lo > 0xdfff) { this.pos = at; this.fail('high surrogate \\u escape not followed by a low surrogate') }
              out += String.fromCharCode(u, lo)
              i += 6
            } else if (u >= 0xdc00 && u <= 0xdfff) {
              this.pos = at; this.fail('lone low surrogate \\u escape')
            } else out += String.fromCharCode(u)
            break
          }
          default: this.pos = i; this.fail(`invalid escape '\\${e ?? ''}' in string`)
        }
        i += 2
        start = i
        continue
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // JS strings from UTF-8 text never hold lone surrogates; a crafted one is not JSON text
        const hi = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
        if (!hi) { this.pos = i; this.fail('invalid UTF-16 surrogate in string') }
        i += 2
        continue
      }
      i++
    }
  }

  hex4(at: number): number {
    const h = this.s.slice(at, at + 4)
    if (!/^[0-9a-fA-F]{4}$/.test(h)) { this.pos = at; this.fail('\\u must be followed by 4 hex digits') }
    return parseInt(h, 16)
  }

  number(): bigint | number {
    const s = this.s
    const start = this.pos
    let i = start
    if (s[i] === '-') i++
    if (s[i] === '0') i++
    else if (s[i] !== undefined && s[i]! >= '1' && s[i]! <= '9') { while (isDigit(s[i])) i++ }
    else { this.pos = i; this.fail('invalid number: expected a digit') }
    let isFloat = false
    if (s[i] === '.') {
      isFloat = true
      i++
      if (!isDigit(s[i])) { this.pos = i; this.fail('invalid number: expected a digit after the decimal point') }
      while (isDigit(s[i])) i++
    }
    if (s[i] === 'e' || s[i] === 'E') {
      isFloat = true
      i++
      if (s[i] === '+' || s[i] === '-') i++
      if (!isDigit(s[i])) { this.pos = i; this.fail('invalid number: expected a digit in the exponent') }
      while (isDigit(s[i])) i++
    }
    this.pos = i
    const lexeme = s.slice(start, i)
    if (!isFloat) {
      // nlohmann keeps int64 (negative) / uint64 (non-negative) and falls back to double
      const n = BigInt(lexeme)
      if (n >= INT64_MIN && n <= UINT64_MAX) return n
    }
    return Number(lexeme)
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

/**
 * Print as nlohmann `dump()` does: compact with no `indent`, else pretty with that many
 * spaces (`dump(2)`). Keys in byte order, non-ASCII as is, control characters escaped.
 */
export function dumpJson(v: JsonValue, indent?: number): string {
  const parts: string[] = []
  write(v, parts, indent, 0)
  return parts.join('')
}

function write(v: JsonValue, out: string[], indent: number | undefined, level: number): void {
  if (v === null) { out.push('null'); return }
  switch (typeof v) {
    case 'boolean': out.push(v ? 'true' : 'false'); return
    case 'string': out.push(JSON.stringify(v)); return
    case 'bigint': out.push(v.toString()); return
    case 'number': out.push(formatFloat(v)); return
  }
  if (Array.isArray(v)) {
    const a = v as readonly JsonValue[]
    if (a.length === 0) { out.push('[]'); return }
    if (indent === undefined) {
      out.push('[')
      a.forEach((x, i) => { if (i > 0) out.push(','); write(x, out, indent, level + 1) })
      out.push(']')
    } else {
      const pad = '\n' + ' '.repeat(indent * (level + 1))
      out.push('[')
      a.forEach((x, i) => { out.push(i > 0 ? ',' + pad : pad); write(x, out, indent, level + 1) })
      out.push('\n' + ' '.repeat(indent * level) + ']')
    }
    return
  }
  const m = v as JsonObject
  if (m.size === 0) { out.push('{}'); return }
  const keys = [...m.keys()].sort(compareUtf8)
  const pad = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1))
  out.push('{')
  keys.forEach((k, i) => {
    if (i > 0) out.push(',')
    out.push(pad, JSON.stringify(k), indent === undefined ? ':' : ': ')
    write(m.get(k)!, out, indent, level + 1)
  })
  if (indent !== undefined) out.push('\n' + ' '.repeat(indent * level))
  out.push('}')
}

/**
 * nlohmann's float printing (`dtoa_impl::format_buffer`): shortest round-trip digits, plain
 * decimal for exponents in (-4, 15], else `d.ddde±XX`; integral values get `.0`; NaN and
 * infinities print as `null`.
 */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return 'null'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const neg = x < 0
  // toExponential() gives the shortest digits that round-trip: "d.ddde±n"
  const e = Math.abs(x).toExponential()
  const ePos = e.indexOf('e')
  const digits = e.slice(0, ePos).replace('.', '')
  const k = digits.length
  const n = Number(e.slice(ePos + 1)) + 1 // value = 0.digits × 10^n
  let s: string
  if (k <= n && n <= 15) s = digits + '0'.repeat(n - k) + '.0'
  else if (0 < n && n <= 15) s = digits.slice(0, n) + '.' + digits.slice(n)
  else if (-4 < n && n <= 0) s = '0.' + '0'.repeat(-n) + digits
  else {
    const exp = n - 1
    const ex = Math.abs(exp)
    s = (k === 1 ? digits : digits[0] + '.' + digits.slice(1)) + 'e' + (exp < 0 ? '-' : '+') + (ex < 10 ? '0' + ex : String(ex))
  }
  return neg ? '-' + s : s
}

/**
 * Plain JavaScript values for consumers that want them: objects become null-prototype-free
 * plain objects, integers become numbers when they are safe integers (bigint otherwise).
 */
export function jsonToPlain(v: JsonValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  if (Array.isArray(v)) return (v as readonly JsonValue[]).map(jsonToPlain)
  return Object.fromEntries([...(v as JsonObject)].map(([k, x]) => [k, jsonToPlain(x)]))
}

/**
 * From a plain JavaScript value (e.g. JSON.parse output): integral numbers become integers,
 * as nlohmann would have read the same text written without a fraction.
 */
export function jsonFromPlain(v: unknown): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v
  if (Array.isArray(v)) return v.map(jsonFromPlain)
  if (v instanceof Map) return new Map([...(v as Map<string, unknown>)].map(([k, x]) => [k, jsonFromPlain(x)]))
  if (typeof v === 'object') return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonFromPlain(x)]))
  throw new TypeError(`not representable as JSON: ${typeof v}`)
}
