/**
 * `builtins.fromJSON`'s parser: nlohmann::json's lexer and SAX parser as C++ Nix drives them,
 * reproduced closely enough that every error message (token names, "last read" text, line and
 * column) is the same. Input and strings are binary strings (one char per byte).
 */

const EOF = -1

const enum T {
  BeginArray, BeginObject, EndArray, EndObject, NameSeparator, ValueSeparator,
  True, False, Null, String, Unsigned, Integer, Float, ParseError, EndOfInput,
  // Only as an "expected" token in messages:
  LiteralOrValue, Uninitialized,
}

function tokenName(t: T): string {
  switch (t) {
    case T.True: return 'true literal'
    case T.False: return 'false literal'
    case T.Null: return 'null literal'
    case T.String: return 'string literal'
    case T.Unsigned: case T.Integer: case T.Float: return 'number literal'
    case T.BeginArray: return "'['"
    case T.BeginObject: return "'{'"
    case T.EndArray: return "']'"
    case T.EndObject: return "'}'"
    case T.NameSeparator: return "':'"
    case T.ValueSeparator: return "','"
    case T.ParseError: return '<parse error>'
    case T.EndOfInput: return 'end of input'
    case T.LiteralOrValue: return "'[', '{', or a literal"
    case T.Uninitialized: return '<uninitialized>'
  }
}

const CONTROL_NAMES = ['NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI',
  'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US']
const CONTROL_SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' }

/** A JSON syntax error, with nlohmann's `what()` text as message. */
export class JsonSyntaxError extends Error {}

/** What the parser hands over: the caller builds Nix values (and applies Nix's own checks). */
export interface JsonHandler<V> {
  string(s: string): V
  /** The digits of a number that fits int64 (negative) or uint64 (non-negative). */
  integer(text: string, unsigned: boolean): V
  float(x: number): V
  bool(b: boolean): V
  null(): V
  array(items: V[]): V
  object(entries: Array<[string, V]>): V
  /** Called for each key as it is read (Nix rejects NUL bytes there). */
  key(k: string): void
}

class Lexer {
  private i = 0
  private current = EOF
  private nextUnget = false
  /** nlohmann position_t. */
  charsTotal = 0
  charsLine = 0
  lines = 0
  /** Raw characters of the current token (for "last read"). */
  private tokenString: number[] = []
  /** Decoded string / number text. */
  buffer = ''
  errorMessage = ''

  constructor(private readonly s: string) {}

  private get(): number {
    this.charsTotal++
    this.charsLine++
    if (this.nextUnget) this.nextUnget = false
    else this.current = this.i < this.s.length ? this.s.charCodeAt(this.i++) : EOF
    if (this.current !== EOF) this.tokenString.push(this.current)
    if (this.current === 0x0a) { this.lines++; this.charsLine = 0 }
    return this.current
  }

  private unget(): void {
    this.nextUnget = true
    this.charsTotal--
    if (this.charsLine === 0) { if (this.lines > 0) this.lines-- } else this.charsLine--
    if (this.current !== EOF) this.tokenString.pop()
  }

  private reset(): void {
    this.buffer = ''
    this.tokenString = [this.current]
  }

  /** nlohmann get_token_string: control characters as <U+XXXX>. */
  tokenText(): string {
    let r = ''
    for (const c of this.tokenString) r += c <= 0x1f ? `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>` : String.fromCharCode(c)
    return r
  }

  position(): string {
    return ` at line ${this.lines + 1}, column ${this.charsLine}`
  }

  scan(): T {
    if (this.charsTotal === 0) {
      // Byte order mark.
      if (this.get() === 0xef) {
        if (!(this.get() === 0xbb && this.get() === 0xbf)) { this.errorMessage = 'invalid BOM; must be 0xEF 0xBB 0xBF if given'; return T.ParseError }
      } else this.unget()
    }
    do this.get(); while (this.current === 0x20 || this.current === 0x09 || this.current === 0x0a || this.current === 0x0d)
    switch (this.current) {
      case 0x5b: return T.BeginArray
      case 0x5d: return T.EndArray
      case 0x7b: return T.BeginObject
      case 0x7d: return T.EndObject
      case 0x3a: return T.NameSeparator
      case 0x2c: return T.ValueSeparator
      case 0x74: return this.literal('true', T.True)
      case 0x66: return this.literal('false', T.False)
      case 0x6e: return this.literal('null', T.Null)
      case 0x22: return this.scanString()
      case 0x2d: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37: case 0x38: case 0x39:
        return this.scanNumber()
      case 0: case EOF: return T.EndOfInput
      default: this.errorMessage = 'invalid literal'; return T.ParseError
    }
  }

  private literal(text: string, t: T): T {
    for (let k = 1; k < text.length; k++) {
      if (this.get() !== text.charCodeAt(k)) { this.errorMessage = 'invalid literal'; return T.ParseError }
    }
    return t
  }

  private hex4(): number {
    let cp = 0
    for (let k = 0; k < 4; k++) {
      const c = this.get()
      let d: number
      if (c >= 0x30 && c <= 0x39) d = c - 0x30
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57
      else return -1
      cp = cp * 16 + d
    }
    return cp
  }

  /** The next bytes must fall in [lo, hi] pairs; nlohmann's next_byte_in_range. */
  private inRange(ranges: number[]): boolean {
    this.buffer += String.fromCharCode(this.current)
    for (let k = 0; k < ranges.length; k += 2) {
      const c = this.get()
      if (c >= ranges[k]! && c <= ranges[k + 1]!) this.buffer += String.fromCharCode(c)
      else { this.errorMessage = 'invalid string: ill-formed UTF-8 byte'; return false }
    }
    return true
  }

  private scanString(): T {
    this.reset()
    for (;;) {
      const c = this.get()
      if (c === EOF) { this.errorMessage = 'invalid string: missing closing quote'; return T.ParseError }
      if (c === 0x22) return T.String
      if (c === 0x5c) {
        const e = this.get()
        switch (e) {
          case 0x22: this.buffer += '"'; break
          case 0x5c: this.buffer += '\\'; break
          case 0x2f: this.buffer += '/'; break
          case 0x62: this.buffer += '\b'; break
          case 0x66: this.buffer += '\f'; break
          case 0x6e: this.buffer += '\n'; break
          case 0x72: this.buffer += '\r'; break
          case 0x74: this.buffer += '\t'; break
          case 0x75: {
            const cp1 = this.hex4()
            let cp = cp1
            if (cp1 === -1) { this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits"; return T.ParseError }
            if (cp1 >= 0xd800 && cp1 <= 0xdbff) {
              if (this.get() === 0x5c && this.get() === 0x75) {
                const cp2 = this.hex4()
                if (cp2 === -1) { this.errorMessage = "invalid string: '\\u' must be followed by 4 hex digits"; return T.ParseError }
                if (cp2 >= 0xdc00 && cp2 <= 0xdfff) cp = 0x10000 + ((cp1 - 0xd800) << 10) + (cp2 - 0xdc00)
                else { this.errorMessage = 'invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF'; return T.ParseError }
              } else { this.errorMessage = 'invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF'; return T.ParseError }
            } else if (cp1 >= 0xdc00 && cp1 <= 0xdfff) {
              this.errorMessage = 'invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF'
              return T.ParseError
            }
            this.buffer += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1')
            break
          }
          default: this.errorMessage = 'invalid string: forbidden character after backslash'; return T.ParseError
        }
        continue
      }
      if (c <= 0x1f) {
        const hex = c.toString(16).toUpperCase().padStart(4, '0')
        const alt = CONTROL_SHORT[c]
        this.errorMessage = `invalid string: control character U+${hex} (${CONTROL_NAMES[c]!}) must be escaped to \\u${hex}${alt ? ` or ${alt}` : ''}`
        return T.ParseError
      }
      if (c < 0x80) { this.buffer += String.fromCharCode(c); continue }
      let ok: boolean
      if (c >= 0xc2 && c <= 0xdf) ok = this.inRange([0x80, 0xbf])
      else if (c === 0xe0) ok = this.inRange([0xa0, 0xbf, 0x80, 0xbf])
      else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) ok = this.inRange([0x80, 0xbf, 0x80, 0xbf])
      else if (c === 0xed) ok = this.inRange([0x80, 0x9f, 0x80, 0xbf])
      else if (c === 0xf0) ok = this.inRange([0x90, 0xbf, 0x80, 0xbf, 0x80, 0xbf])
      else if (c >= 0xf1 && c <= 0xf3) ok = this.inRange([0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf])
      else if (c === 0xf4) ok = this.inRange([0x80, 0x8f, 0x80, 0xbf, 0x80, 0xbf])
      else { this.errorMessage = 'invalid string: ill-formed UTF-8 byte'; return T.ParseError }
      if (!ok) return T.ParseError
    }
  }

  private scanNumber(): T {
    this.reset()
    const digit = (c: number): boolean => c >= 0x30 && c <= 0x39
    let type = T.Unsigned
    let c = this.current
    this.buffer += String.fromCharCode(c)
    let state: 'minus' | 'zero' | 'any1' | 'done'
    if (c === 0x2d) state = 'minus'
    else if (c === 0x30) state = 'zero'
    else state = 'any1'
    if (state === 'minus') {
      type = T.Integer
      c = this.get()
      if (c === 0x30) { this.buffer += '0'; state = 'zero' } else if (digit(c)) { this.buffer += String.fromCharCode(c); state = 'any1' } else {
        this.errorMessage = "invalid number; expected digit after '-'"
        return T.ParseError
      }
    }
    let frac = false
    let exp = false
    if (state === 'zero') {
      c = this.get()
      if (c === 0x2e) frac = true
      else if (c === 0x65 || c === 0x45) exp = true
    } else {
      for (;;) {
        c = this.get()
        if (digit(c)) { this.buffer += String.fromCharCode(c); continue }
        if (c === 0x2e) frac = true
        else if (c === 0x65 || c === 0x45) exp = true
        break
      }
    }
    if (frac) {
      this.buffer += '.'
      type = T.Float
      c = this.get()
      if (!digit(c)) { this.errorMessage = "invalid number; expected digit after '.'"; return T.ParseError }
      this.buffer += String.fromCharCode(c)
      for (;;) {
        c = this.get()
        if (digit(c)) { this.buffer += String.fromCharCode(c); continue }
        if (c === 0x65 || c === 0x45) exp = true
        break
      }
    }
    if (exp) {
      this.buffer += String.fromCharCode(c)
      type = T.Float
      c = this.get()
      if (c === 0x2b || c === 0x2d) {
        this.buffer += String.fromCharCode(c)
        c = this.get()
        if (!digit(c)) { this.errorMessage = 'invalid number; expected digit after exponent sign'; return T.ParseError }
      } else if (!digit(c)) {
        this.errorMessage = "invalid number; expected '+', '-', or digit after exponent"
        return T.ParseError
      }
      this.buffer += String.fromCharCode(c)
      for (;;) {
        c = this.get()
        if (!digit(c)) break
        this.buffer += String.fromCharCode(c)
      }
    }
    this.unget()
    // Integers that overflow 64 bits are read as floats (strtoull/strtoll fail).
    if (type === T.Unsigned && BigInt(this.buffer) <= 18446744073709551615n) return T.Unsigned
    if (type === T.Integer && BigInt(this.buffer) >= -9223372036854775808n) return T.Integer
    return T.Float
  }
}

/** Parse `s` as C++ Nix's `builtins.fromJSON` does (nlohmann sax_parse, strict). */
export function parseJsonText<V>(s: string, h: JsonHandler<V>): V {
  const lx = new Lexer(s)
  let last = lx.scan()
  const next = (): T => (last = lx.scan())
  const fail = (expected: T, context: string): never => {
    let msg = `syntax error while parsing ${context} - `
    if (last === T.ParseError) msg += `${lx.errorMessage}; last read: '${lx.tokenText()}'`
    else msg += `unexpected ${tokenName(last)}`
    if (expected !== T.Uninitialized) msg += `; expected ${tokenName(expected)}`
    throw new JsonSyntaxError(`[json.exception.parse_error.101] parse error${lx.position()}: ${msg}`)
  }
  // Containers being filled: arrays, or objects with the key awaiting its value.
  type Frame = { array: true; items: V[] } | { array: false; entries: Array<[string, V]>; key: string }
  const stack: Frame[] = []
  let value: V
  for (;;) {
    switch (last) {
      case T.BeginObject: {
        const t = next()
        if (t === T.EndObject) { value = h.object([]); break }
        if (t !== T.String) fail(T.String, 'object key')
        const key = lx.buffer
        h.key(key)
        if (next() !== T.NameSeparator) fail(T.NameSeparator, 'object separator')
        stack.push({ array: false, entries: [], key })
        next()
        continue
      }
      case T.BeginArray:
        if (next() === T.EndArray) { value = h.array([]); break }
        stack.push({ array: true, items: [] })
        continue
      case T.Float: {
        const x = Number(lx.buffer)
        if (!Number.isFinite(x)) throw new JsonSyntaxError(`[json.exception.out_of_range.406] number overflow parsing '${lx.tokenText()}'`)
        value = h.float(x)
        break
      }
      case T.True: value = h.bool(true); break
      case T.False: value = h.bool(false); break
      case T.Null: value = h.null(); break
      case T.Unsigned: value = h.integer(lx.buffer, true); break
      case T.Integer: value = h.integer(lx.buffer, false); break
      case T.String: value = h.string(lx.buffer); break
      case T.ParseError: fail(T.Uninitialized, 'value'); break
      case T.EndOfInput:
        if (lx.charsTotal === 1) {
          throw new JsonSyntaxError(`[json.exception.parse_error.101] parse error${lx.position()}: attempting to parse an empty input; check that your input string or stream contains the expected JSON`)
        }
        fail(T.LiteralOrValue, 'value')
        break
      default: fail(T.LiteralOrValue, 'value')
    }
    // A value was read: place it, then close finished containers.
    for (;;) {
      const top = stack[stack.length - 1]
      if (top === undefined) {
        if (next() !== T.EndOfInput) fail(T.EndOfInput, 'value')
        return value!
      }
      if (top.array) {
        top.items.push(value!)
        const t = next()
        if (t === T.ValueSeparator) { next(); break }
        if (t === T.EndArray) { stack.pop(); value = h.array(top.items); continue }
        fail(T.EndArray, 'array')
      } else {
        top.entries.push([top.key, value!])
        const t = next()
        if (t === T.ValueSeparator) {
          if (next() !== T.String) fail(T.String, 'object key')
          top.key = lx.buffer
          h.key(top.key)
          if (next() !== T.NameSeparator) fail(T.NameSeparator, 'object separator')
          next()
          break
        }
        if (t === T.EndObject) { stack.pop(); value = h.object(top.entries); continue }
        fail(T.EndObject, 'object')
      }
    }
  }
}
