/**
 * Structured attributes (`__structuredAttrs = true`): the `.attrs.json` and `.attrs.sh` files
 * C++ Nix writes into the build directory (libstore parsed-derivations.cc /
 * derivation-env-desugar.cc).
 *
 * `.attrs.json` is `nlohmann::json::dump()` of the parsed `__json` plus `outputs` (and one key
 * per exportReferencesGraph entry), so this module keeps what nlohmann keeps: integers apart
 * from floats, object keys in byte order, nlohmann's float formatting. `.attrs.sh` follows
 * `writeStructuredAttrsShell`, including its odd number rule (float32 ceil test, int32
 * truncation).
 */
import { SandboxRequestError } from './errors.js'

/** An integer as nlohmann stores it (int64 or uint64). */
export class JsonInt { constructor(readonly value: bigint) {} }
/** A floating-point number (JSON number with a fraction or exponent). */
export class JsonFloat { constructor(readonly value: number) {} }

export type JsonValue = null | boolean | string | JsonInt | JsonFloat | JsonValue[] | JsonObject
/** Objects keep insertion order here; `dumpJson` sorts keys as nlohmann's std::map does. */
export type JsonObject = Map<string, JsonValue>

/** Parse JSON keeping integer/float distinction (the `__json` attribute of a derivation). */
export function parseJson(text: string): JsonValue {
  let i = 0
  const fail = (what: string): never => {
    throw new SandboxRequestError(`cannot process __json attribute: expected ${what} at offset ${i}, got ${JSON.stringify(text.slice(i, i + 10))}`)
  }
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++ }
  const value = (depth: number): JsonValue => {
    if (depth > 512) fail('less nesting')
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const obj: JsonObject = new Map()
      ws()
      if (text[i] === '}') { i++; return obj }
      for (;;) {
        ws()
        if (text[i] !== '"') fail('a string key')
        const k = str()
        ws()
        if (text[i] !== ':') fail("':'")
        i++
        obj.set(k, value(depth + 1))
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return obj }
        fail("',' or '}'")
      }
    }
    if (c === '[') {
      i++
      const arr: JsonValue[] = []
      ws()
      if (text[i] === ']') { i++; return arr }
      for (;;) {
        arr.push(value(depth + 1))
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return arr }
        fail("',' or ']'")
      }
    }
    if (c === '"') return str()
    if (text.startsWith('true', i)) { i += 4; return true }
    if (text.startsWith('false', i)) { i += 5; return false }
    if (text.startsWith('null', i)) { i += 4; return null }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) return fail('a JSON value')
    i += m[0].length
    if (m[1] === undefined && m[2] === undefined) {
      const n = BigInt(m[0])
      // nlohmann falls back to a double when an integer does not fit int64/uint64.
      if (n < -(2n ** 63n) || n >= 2n ** 64n) return new JsonFloat(Number(m[0]))
      return new JsonInt(n)
    }
    return new JsonFloat(Number(m[0]))
  }
  const str = (): string => {
    const start = i
    i++
    let simple = true
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { simple = false; i += 2 } else {
        if (text.charCodeAt(i) < 0x20) fail('no control character in a string')
        i++
      }
    }
    if (i >= text.length) fail('a closing quote')
    i++
    const raw = text.slice(start, i)
    if (simple) return raw.slice(1, -1)
    try { return JSON.parse(raw) as string } catch { return fail('a valid string escape') }
  }
  const v = value(0)
  ws()
  if (i !== text.length) fail('end of input')
  return v
}

const utf8 = new TextEncoder()
/** std::string ordering: bytewise over UTF-8. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0
  return Buffer.compare(utf8.encode(a), utf8.encode(b))
}

function sortedEntries(o: JsonObject): Array<[string, JsonValue]> {
  return [...o.entries()].sort((x, y) => compareBytes(x[0], y[0]))
}

/** nlohmann's float printing: shortest digits, `.0` on integral values, `e+NN` exponents. */
export function formatJsonFloat(x: number): string {
  if (!Number.isFinite(x)) return 'null'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const neg = x < 0
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string]
  const digits = mant.replace('.', '')
  const k = digits.length
  const n = Number(expStr) + 1 // position of the decimal point relative to the digits
  let s: string
  if (k <= n && n <= 15) s = digits + '0'.repeat(n - k) + '.0'
  else if (n > 0 && n <= 15) s = digits.slice(0, n) + '.' + digits.slice(n)
  else if (n > -4 && n <= 0) s = '0.' + '0'.repeat(-n) + digits
  else {
    const e = n - 1
    const abs = Math.abs(e)
    s = (k === 1 ? digits : digits[0] + '.' + digits.slice(1)) + 'e' + (e < 0 ? '-' : '+') + (abs < 10 ? '0' + abs : String(abs))
  }
  return neg ? '-' + s : s
}

/** `nlohmann::json::dump()` with no indentation. */
export function dumpJson(v: JsonValue): string {
  if (v === null) return 'null'
  if (v === true) return 'true'
  if (v === false) return 'false'
  if (typeof v === 'string') return JSON.stringify(v)
  if (v instanceof JsonInt) return v.value.toString()
  if (v instanceof JsonFloat) return formatJsonFloat(v.value)
  if (Array.isArray(v)) return '[' + v.map(dumpJson).join(',') + ']'
  return '{' + sortedEntries(v).map(([k, x]) => JSON.stringify(k) + ':' + dumpJson(x)).join(',') + '}'
}

/** Nix `shellEscape`: single quotes, with `'` written as `'\''`. */
export function shellEscape(s: string): string {
  return "'" + s.replaceAll("'", "'\\''") + "'"
}

/** `static_cast<int>` of a double as x86-64 does it (out of range gives INT_MIN). */
function toInt32FromDouble(f: number): number {
  const t = Math.trunc(f)
  return t >= -2147483648 && t <= 2147483647 ? t : -2147483648
}

function simpleShellValue(v: JsonValue): string | undefined {
  if (typeof v === 'string') return shellEscape(v)
  if (v instanceof JsonInt || v instanceof JsonFloat) {
    // Nix tests ceil() on the value converted to float, then prints get<int>().
    const f = Math.fround(Number(v.value))
    if (Math.ceil(f) === f) {
      return v instanceof JsonInt ? String(Number(BigInt.asIntN(32, v.value))) : String(toInt32FromDouble(v.value))
    }
    return undefined
  }
  if (v === null) return "''"
  if (typeof v === 'boolean') return v ? '1' : ''
  return undefined
}

const SH_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `.attrs.sh`: `declare` lines for the attributes bash can hold (writeStructuredAttrsShell). */
export function writeStructuredAttrsShell(json: JsonObject): string {
  let out = ''
  for (const [key, value] of sortedEntries(json)) {
    if (!SH_VAR_NAME.test(key)) continue
    const simple = simpleShellValue(value)
    if (simple !== undefined) { out += `declare ${key}=${simple}\n`; continue }
    if (Array.isArray(value)) {
      let s = ''
      let good = true
      for (const x of value) {
        const y = simpleShellValue(x)
        if (y === undefined) { good = false; break }
        s += y + ' '
      }
      if (good) out += `declare -a ${key}=(${s})\n`
    } else if (value instanceof Map) {
      let s = ''
      let good = true
      for (const [k2, x] of sortedEntries(value)) {
        const y = simpleShellValue(x)
        if (y === undefined) { good = false; break }
        s += `[${shellEscape(k2)}]=${y} `
      }
      if (good) out += `declare -A ${key}=(${s})\n`
    }
  }
  return out
}
