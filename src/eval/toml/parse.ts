/**
 * A TOML 1.0 parser that accepts and rejects what toml11 v4 (the parser C++ Nix 2.34 uses)
 * accepts and rejects, and builds the same values. The grammar follows toml11's scanners
 * (include/toml11/impl/syntax_impl.hpp) and its parser (parser.hpp): the same order of guesses
 * for a value (date-times, then floats, then integers), the same table-definition rules
 * (`insert_value`), the same number conversions (int64 via istream, doubles that overflow
 * rejected, binary integers of at most 63 significant bits). Some of its quirks, kept on
 * purpose: a table header may follow a key/value pair on the same line (`a = 1 [b]`), DEL is
 * not allowed in comments, `\r\n` inside multi-line strings is kept as is, a UTF-8 BOM is
 * skipped, and `+24:00` is a valid offset.
 *
 * Input and output strings are binary strings (one char per byte); UTF-8 is validated where
 * TOML requires it, as toml11 does. Unlike toml11, parsing stops at the first error.
 */
import type { Region, TomlErrorInfo } from './report.js'

/** A TOML date/time, kept as toml11 prints it (`operator<<`). */
export interface TomlDateTime {
  readonly kind: 'offset-datetime' | 'local-datetime' | 'local-date' | 'local-time'
  readonly text: string
}

/** A parsed value. Integers are bigint (int64), floats number. */
export type TomlValue = string | bigint | number | boolean | TomlDateTime | TomlValue[] | TomlTable
/** Tables keep insertion order; keys are binary strings. */
export type TomlTable = Map<string, TomlValue>

/** How a table came to be (toml11 `table_format`), which decides whether it may be extended. */
const enum TableFmt { Implicit, Dotted, Explicit, Inline }

/** A node of the tree under construction; converted to TomlValue at the end. */
class TTable {
  readonly map = new Map<string, Node>()
  constructor(public fmt: TableFmt, public region: Region) {}
}
class TArray {
  constructor(readonly items: Node[], readonly ofTables: boolean, readonly region: Region) {}
}
class TScalar {
  constructor(readonly value: string | bigint | number | boolean | TomlDateTime, readonly region: Region) {}
}
type Node = TTable | TArray | TScalar

export class TomlParseError extends Error {
  constructor(readonly info: TomlErrorInfo) { super(info.title) }
}

const HINT_INT = 'Hint: valid  : -42, 1_000, 1_2_3_4_5, 0xC0FFEE, 0b0010, 0o755\nHint: invalid: _42, 1__000, 0123\n'
const HINT_FLOAT = 'Hint: valid  : +1.0, -2e-2, 3.141_592_653_589, inf, nan\nHint: invalid: .0, 1., _1.0, 1.0_, 1_.0, 1.0__0\n'
const INT64_MAX = (1n << 63n) - 1n
const INT64_MIN = -(1n << 63n)

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const isBareKey = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x5f

class Parser {
  private pos = 0
  private readonly n: number

  constructor(private readonly s: string) {
    this.n = s.length
    if (s.startsWith('\u00ef\u00bb\u00bf')) this.pos = 3
  }

  private c(at = this.pos): number { return at < this.n ? this.s.charCodeAt(at) : -1 }
  private eof(): boolean { return this.pos >= this.n }

  private fail(title: string, region: Region, msg: string, suffix = '', exact = false): never {
    throw new TomlParseError({ title, locations: [[region, msg]], suffix, exact })
  }
  private here(at = this.pos): Region { return { first: at, last: Math.min(at + 1, this.n) } }

  // ---------------------------------------------------------------- lexical pieces

  /** One UTF-8 sequence of 2–4 bytes as toml11's `non_ascii` accepts it; its end or -1. */
  private nonAscii(at: number): number {
    const b = this.c(at)
    const in_ = (i: number, lo: number, hi: number): boolean => { const x = this.c(i); return x >= lo && x <= hi }
    if (b >= 0xc2 && b <= 0xdf) return in_(at + 1, 0x80, 0xbf) ? at + 2 : -1
    if (b >= 0xe0 && b <= 0xef) {
      const ok2 = b === 0xe0 ? in_(at + 1, 0xa0, 0xbf) : b === 0xed ? in_(at + 1, 0x80, 0x9f) : in_(at + 1, 0x80, 0xbf)
      return ok2 && in_(at + 2, 0x80, 0xbf) ? at + 3 : -1
    }
    if (b >= 0xf0 && b <= 0xf4) {
      const ok2 = b === 0xf0 ? in_(at + 1, 0x90, 0xbf) : b === 0xf4 ? in_(at + 1, 0x80, 0x8f) : in_(at + 1, 0x80, 0xbf)
      return ok2 && in_(at + 2, 0x80, 0xbf) && in_(at + 3, 0x80, 0xbf) ? at + 4 : -1
    }
    return -1
  }

  private newlineAt(at: number): number {
    const c = this.c(at)
    if (c === 0x0a) return at + 1
    if (c === 0x0d && this.c(at + 1) === 0x0a) return at + 2
    return -1
  }

  private skipWs(): void {
    while (this.pos < this.n) {
      const c = this.s.charCodeAt(this.pos)
      if (c !== 0x20 && c !== 0x09) break
      this.pos++
    }
  }

  /** `#` and the allowed comment characters after it; the end (before any newline), or -1. */
  private commentAt(at: number): number {
    if (this.c(at) !== 0x23) return -1
    let i = at + 1
    for (;;) {
      const c = this.c(i)
      if (c === 0x09 || (c >= 0x20 && c <= 0x7e)) i++
      else if (c >= 0x80) { const e = this.nonAscii(i); if (e < 0) break; i = e } else break
    }
    return i
  }

  /** toml11 `parse_comment_line`: optional ws + comment + newline; true if a comment was read. */
  private commentLine(): boolean {
    const first = this.pos
    this.skipWs()
    const end = this.commentAt(this.pos)
    if (end < 0) { this.pos = first; return false }
    this.pos = end
    if (!this.eof()) {
      const nl = this.newlineAt(this.pos)
      if (nl < 0) {
        this.fail('toml::parse_comment_line: newline (LF / CRLF) or EOF is expected', this.here(),
          'but got this', 'Hint: most of the control characters are not allowed in comments')
      }
      this.pos = nl
    }
    return true
  }

  /** toml11 `skip_multiline_spacer`: comments+newlines, newlines, blanks. */
  private spacer(): { found: boolean; newline: boolean } {
    let found = false, newline = false
    while (!this.eof()) {
      const ce = this.commentAt(this.pos)
      if (ce >= 0) {
        const nl = this.newlineAt(ce)
        if (nl >= 0) { this.pos = nl; found = newline = true; continue }
      }
      const nl = this.newlineAt(this.pos)
      if (nl >= 0) { this.pos = nl; found = newline = true; continue }
      const c = this.c()
      if (c === 0x20 || c === 0x09) { this.skipWs(); found = true; continue }
      break
    }
    return { found, newline }
  }

  // ---------------------------------------------------------------- strings

  private escape(): string {
    // at the backslash
    const start = this.pos
    this.pos++
    const c = this.c()
    const simple: Record<number, string> = { 0x5c: '\\', 0x22: '"', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' }
    const e = simple[c]
    if (e !== undefined) { this.pos++; return e }
    if (c === 0x75 || c === 0x55) {
      const len = c === 0x75 ? 4 : 8
      for (let i = 1; i <= len; i++) {
        if (!isHex(this.c(this.pos + i))) this.fail('toml::parse_basic_string: invalid string format', this.here(start), 'expected "')
      }
      const cp = parseInt(this.s.slice(this.pos + 1, this.pos + 1 + len), 16)
      const reg = { first: this.pos, last: this.pos + 1 + len }
      this.pos += 1 + len
      if (cp >= 0xd800 && cp <= 0xdfff) this.fail('toml::parse_utf8_codepoint: [0xD800, 0xDFFF] is not a valid UTF-8', reg, 'here')
      if (cp > 0x10ffff) this.fail('toml::parse_utf8_codepoint: input codepoint is too large.', reg, 'must be in range [0x00, 0x10FFFF]')
      return utf8(cp)
    }
    this.pos = start
    return this.fail('toml::parse_basic_string: invalid string format', this.here(start + 1), 'expected "')
  }

  /** Basic-string characters (no quote, backslash or control characters but tab); their end. */
  private basicRun(at: number): number {
    let i = at
    for (;;) {
      const c = this.c(i)
      if (c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)) i++
      else if (c >= 0x80) { const e = this.nonAscii(i); if (e < 0) return i; i = e } else return i
    }
  }

  private literalRun(at: number): number {
    let i = at
    for (;;) {
      const c = this.c(i)
      if (c === 0x09 || (c >= 0x20 && c <= 0x26) || (c >= 0x28 && c <= 0x7e)) i++
      else if (c >= 0x80) { const e = this.nonAscii(i); if (e < 0) return i; i = e } else return i
    }
  }

  private basicString(): string {
    const start = this.pos
    this.pos++
    let out = ''
    for (;;) {
      const end = this.basicRun(this.pos)
      out += this.s.slice(this.pos, end)
      this.pos = end
      const c = this.c()
      if (c === 0x22) { this.pos++; return out }
      if (c === 0x5c) { out += this.escape(); continue }
      return this.fail('toml::parse_basic_string: invalid string format', this.here(start), 'expected "')
    }
  }

  private literalString(): string {
    this.pos++
    const end = this.literalRun(this.pos)
    const out = this.s.slice(this.pos, end)
    this.pos = end
    if (this.c() !== 0x27) this.fail('toml::parse_literal_string: invalid string format', this.here(), "expected '")
    this.pos++
    return out
  }

  private mlBasicString(): string {
    this.pos += 3
    const nl = this.newlineAt(this.pos)
    if (nl >= 0) this.pos = nl
    let out = ''
    for (;;) {
      const end = this.basicRun(this.pos)
      out += this.s.slice(this.pos, end)
      this.pos = end
      const c = this.c()
      const nl2 = this.newlineAt(this.pos)
      if (nl2 >= 0) { out += this.s.slice(this.pos, nl2); this.pos = nl2; continue }
      if (c === 0x5c) {
        // a line-ending backslash eats the newline and all whitespace and newlines after it
        let j = this.pos + 1
        while (this.c(j) === 0x20 || this.c(j) === 0x09) j++
        if (this.newlineAt(j) >= 0) {
          for (;;) {
            const k = this.newlineAt(j)
            if (k >= 0) j = k
            else if (this.c(j) === 0x20 || this.c(j) === 0x09) j++
            else break
          }
          this.pos = j
          continue
        }
        out += this.escape()
        continue
      }
      if (c === 0x22) {
        let q = 0
        while (this.c(this.pos + q) === 0x22) q++
        if (q < 3) { out += '"'.repeat(q); this.pos += q; continue }
        if (q > 5) this.fail('toml::parse_ml_basic_string: invalid string format', this.here(this.pos + 5), 'expected "')
        out += '"'.repeat(q - 3)
        this.pos += q
        return out
      }
      return this.fail('toml::parse_ml_basic_string: invalid string format', this.here(), 'expected """')
    }
  }

  private mlLiteralString(): string {
    this.pos += 3
    const nl = this.newlineAt(this.pos)
    if (nl >= 0) this.pos = nl
    let out = ''
    for (;;) {
      const end = this.literalRun(this.pos)
      out += this.s.slice(this.pos, end)
      this.pos = end
      const nl2 = this.newlineAt(this.pos)
      if (nl2 >= 0) { out += this.s.slice(this.pos, nl2); this.pos = nl2; continue }
      if (this.c() === 0x27) {
        let q = 0
        while (this.c(this.pos + q) === 0x27) q++
        if (q < 3) { out += "'".repeat(q); this.pos += q; continue }
        if (q > 5) this.fail('toml::parse_ml_literal_string: invalid string format', this.here(this.pos + 5), "expected '")
        out += "'".repeat(q - 3)
        this.pos += q
        return out
      }
      return this.fail('toml::parse_ml_literal_string: invalid string format', this.here(), "expected '''")
    }
  }

  // ---------------------------------------------------------------- keys

  private simpleKey(): string {
    const c = this.c()
    if (c === 0x22) return this.basicString()
    if (c === 0x27) return this.literalString()
    const start = this.pos
    while (isBareKey(this.c())) this.pos++
    if (this.pos === start) {
      this.fail('toml::parse_simple_key: invalid key: key must be "quoted", \'quoted-literal\', or bare key.', this.here(),
        'expected a key', 'Hint: non-ASCII scripts are allowed in toml v1.1.0, but not in v1.0.0.\n')
    }
    return this.s.slice(start, this.pos)
  }

  /** Dotted key; its region spans the keys (not trailing blanks). */
  private key(): { keys: string[]; region: Region } {
    const first = this.pos
    const keys = [this.simpleKey()]
    for (;;) {
      const save = this.pos
      this.skipWs()
      if (this.c() !== 0x2e) { this.pos = save; break }
      this.pos++
      this.skipWs()
      keys.push(this.simpleKey())
    }
    return { keys, region: { first, last: this.pos } }
  }

  // ---------------------------------------------------------------- numbers and dates

  /** toml11's scanners, as predicates returning the end offset or -1. */
  private digits(at: number, count: number): boolean {
    for (let i = 0; i < count; i++) if (!isDigit(this.c(at + i))) return false
    return true
  }
  private scanDate(at: number): number {
    return this.digits(at, 4) && this.c(at + 4) === 0x2d && this.digits(at + 5, 2) && this.c(at + 7) === 0x2d && this.digits(at + 8, 2) ? at + 10 : -1
  }
  private scanTime(at: number): number {
    if (!(this.digits(at, 2) && this.c(at + 2) === 0x3a && this.digits(at + 3, 2) && this.c(at + 5) === 0x3a && this.digits(at + 6, 2))) return -1
    let i = at + 8
    if (this.c(i) === 0x2e && isDigit(this.c(i + 1))) { i += 2; while (isDigit(this.c(i))) i++ }
    return i
  }
  private scanOffset(at: number): number {
    const c = this.c(at)
    if (c === 0x5a || c === 0x7a) return at + 1
    if ((c === 0x2b || c === 0x2d) && this.digits(at + 1, 2) && this.c(at + 3) === 0x3a && this.digits(at + 4, 2)) return at + 6
    return -1
  }
  private isDelim(c: number): boolean { return c === 0x54 || c === 0x74 || c === 0x20 }
  private scanLocalDateTime(at: number): number {
    const d = this.scanDate(at)
    if (d < 0 || !this.isDelim(this.c(d))) return -1
    return this.scanTime(d + 1)
  }
  private scanOffsetDateTime(at: number): number {
    const t = this.scanLocalDateTime(at)
    return t < 0 ? -1 : this.scanOffset(t)
  }
  /** `[0-9](_?[0-9])*` */
  private scanZeroPrefixable(at: number): number {
    if (!isDigit(this.c(at))) return -1
    let i = at + 1
    for (;;) {
      if (isDigit(this.c(i))) i++
      else if (this.c(i) === 0x5f && isDigit(this.c(i + 1))) i += 2
      else return i
    }
  }
  private scanDecInt(at: number): number {
    let i = at
    if (this.c(i) === 0x2b || this.c(i) === 0x2d) i++
    const c = this.c(i)
    if (c >= 0x31 && c <= 0x39) {
      // digit19 followed by at least one (digit | _digit), else a single digit
      const j = i + 1
      if (isDigit(this.c(j)) || (this.c(j) === 0x5f && isDigit(this.c(j + 1)))) return this.scanZeroPrefixable(i)
      return j
    }
    return c === 0x30 ? i + 1 : -1
  }
  private scanPrefixedInt(at: number, prefix: number, ok: (c: number) => boolean): number {
    if (this.c(at) !== 0x30 || this.c(at + 1) !== prefix || !ok(this.c(at + 2))) return -1
    let i = at + 3
    for (;;) {
      if (ok(this.c(i))) i++
      else if (this.c(i) === 0x5f && ok(this.c(i + 1))) i += 2
      else return i
    }
  }
  private scanHexInt(at: number): number { return this.scanPrefixedInt(at, 0x78, isHex) }
  private scanOctInt(at: number): number { return this.scanPrefixedInt(at, 0x6f, (c) => c >= 0x30 && c <= 0x37) }
  private scanBinInt(at: number): number { return this.scanPrefixedInt(at, 0x62, (c) => c === 0x30 || c === 0x31) }
  private scanInteger(at: number): number {
    const h = this.scanHexInt(at); if (h >= 0) return h
    const o = this.scanOctInt(at); if (o >= 0) return o
    const b = this.scanBinInt(at); if (b >= 0) return b
    return this.scanDecInt(at)
  }
  private scanExponent(at: number): number {
    const c = this.c(at)
    if (c !== 0x65 && c !== 0x45) return -1
    let i = at + 1
    if (this.c(i) === 0x2b || this.c(i) === 0x2d) i++
    return this.scanZeroPrefixable(i)
  }
  private scanFloat(at: number): number {
    const d = this.scanDecInt(at)
    if (d >= 0) {
      const e = this.scanExponent(d)
      if (e >= 0) return e
      if (this.c(d) === 0x2e) {
        const f = this.scanZeroPrefixable(d + 1)
        if (f >= 0) { const e2 = this.scanExponent(f); return e2 >= 0 ? e2 : f }
      }
    }
    let i = at
    if (this.c(i) === 0x2b || this.c(i) === 0x2d) i++
    if (this.s.startsWith('inf', i) || this.s.startsWith('nan', i)) return i + 3
    return -1
  }

  /** toml11 `guess_number_type` + the parse it dispatches to. */
  private number(): Node {
    const at = this.pos
    const odt = this.scanOffsetDateTime(at)
    if (odt >= 0) return this.dateTime(at, odt, 'offset-datetime')
    const ldt = this.scanLocalDateTime(at)
    if (ldt >= 0) {
      const c = this.c(ldt)
      if (c === 0x2b || c === 0x2d) this.fail('bad offset: must be [+-]HH:MM or Z', this.here(ldt), 'expected offset', 'Hint: valid  : +09:00, -05:30\nHint: invalid: +9:00,  -5:30\n')
      return this.dateTime(at, ldt, 'local-datetime')
    }
    const ld = this.scanDate(at)
    if (ld >= 0) {
      const c = this.c(ld)
      const hint = 'Hint: valid  : 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999\nHint: invalid: 1979-05-27T7:32:00, 1979-05-27 17:32\n'
      if (c === 0x54 || c === 0x74 || (c === 0x20 && isDigit(this.c(ld + 1)))) this.fail('bad time: must be HH:MM:SS.subsec', this.here(ld + 1), 'expected a time', hint)
      if (isDigit(c)) this.fail('bad datetime: missing T or space', this.here(ld), 'expected T, t or space', hint)
      return this.dateTime(at, ld, 'local-date')
    }
    const lt = this.scanTime(at)
    if (lt >= 0) return this.dateTime(at, lt, 'local-time')
    const fl = this.scanFloat(at)
    if (fl >= 0) {
      if (this.c(fl) === 0x5f) this.fail('bad float: `_` must be surrounded by digits', this.here(fl), 'invalid underscore', HINT_FLOAT, true)
      return this.float(at, fl)
    }
    const it = this.scanInteger(at)
    if (it >= 0) {
      const c = this.c(it)
      const text = this.s.slice(at, it)
      if (c === 0x5f) {
        if (text === '0' || text === '-0' || text === '+0') this.fail('bad integer: leading zero is not allowed in decimal int', this.here(it), 'leading zero', HINT_INT, true)
        this.fail('bad integer: `_` must be surrounded by digits', this.here(it), 'invalid underscore', HINT_INT, true)
      }
      if (isDigit(c)) {
        if (c === 0x30) this.fail('bad integer: leading zero', this.here(it - 1), 'leading zero is not allowed', HINT_INT, true)
        this.fail('bad integer: invalid digit after an integer', this.here(it), 'this digit is not allowed', HINT_INT, true)
      }
      if (c === 0x3a || c === 0x2d) {
        this.fail('bad datetime: invalid format', this.here(it), 'here',
          'Hint: valid  : 1979-05-27T07:32:00-07:00, 1979-05-27 07:32:00.999999Z\nHint: invalid: 1979-05-27T7:32:00-7:00, 1979-05-27 7:32-00:30', true)
      }
      if (c === 0x2e || c === 0x65 || c === 0x45) this.fail('bad float: invalid format', this.here(it), 'here', HINT_FLOAT, true)
      return this.integer(at, it)
    }
    const c = this.c(at)
    if (c === 0x2e) this.fail('bad float: integer part is required before decimal point', this.here(at), 'missing integer part', HINT_FLOAT, true)
    if (c === 0x5f) this.fail('bad number: `_` must be surrounded by digits', this.here(at), 'digits required before `_`', HINT_INT, true)
    return this.fail('bad format: unknown value appeared', this.here(at), 'here', '', true)
  }

  private integer(at: number, end: number): Node {
    const text = this.s.slice(at, end).replaceAll('_', '')
    const region = { first: at, last: end }
    const sign = text[0] === '+' || text[0] === '-' ? 1 : 0
    const after = this.here(end)
    if (text[sign] === '0' && text.length > sign + 1) {
      const p = text[sign + 1]
      if (sign === 1 || !(p === 'x' || p === 'o' || p === 'b')) {
        // `+0x1`, or a prefix toml11 does not know: it re-scans as a prefixed integer and fails
        this.fail('toml::parse_integer: leading zero in an decimal integer is not allowed', this.here(at), 'leading zero')
      }
      const digits = text.slice(2).replace(/^0+/, '') || '0'
      const base = p === 'x' ? 16 : p === 'o' ? 8 : 2
      const name = base === 16 ? 'hex' : base === 8 ? 'oct' : 'bin'
      const v = BigInt((base === 16 ? '0x' : base === 8 ? '0o' : '0b') + digits)
      const tooLarge = base === 2 ? digits.length > 63 : v > INT64_MAX
      if (tooLarge) this.fail(`toml::parse_${name}_integer: too large integer: current max value = 2^63`, after, 'must be < 2^63', '', true)
      return new TScalar(v, region)
    }
    const v = BigInt(text)
    if (v > INT64_MAX || v < INT64_MIN) this.fail('toml::parse_dec_integer: too large integer: current max digits = 2^63', after, 'must be < 2^63', '', true)
    return new TScalar(v, region)
  }

  private float(at: number, end: number): Node {
    const text = this.s.slice(at, end).replaceAll('_', '')
    const region = { first: at, last: end }
    const body = text.replace(/^[+-]/, '')
    if (body === 'inf') return new TScalar(text[0] === '-' ? -Infinity : Infinity, region)
    if (body === 'nan') return new TScalar(NaN, region)
    const v = Number(text)
    if (!Number.isFinite(v)) this.fail('toml::parse_floating: failed to read floating point value from stream', this.here(end), 'here', '', true)
    return new TScalar(v, region)
  }

  private dateTime(at: number, end: number, kind: TomlDateTime['kind']): Node {
    const s = this.s
    const region = { first: at, last: end }
    const whole = { first: at, last: end }
    let i = at
    let text = ''
    if (kind !== 'local-time') {
      const year = +s.slice(i, i + 4), month = +s.slice(i + 5, i + 7), day = +s.slice(i + 8, i + 10)
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      const maxDay = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
      if (month < 1 || month > 12 || day < 1 || day > maxDay) {
        this.fail('toml::parse_local_date: invalid date.', this.here(at), 'month must be 01-12, day must be any of 01-28,29,30,31 depending on the month/year.', '', true)
      }
      text = s.slice(i, i + 10)
      i += 10
      if (kind === 'local-date') { this.pos = end; return new TScalar({ kind, text }, region) }
      i++ // the delimiter
      text += 'T'
    }
    const tStart = i
    const hour = +s.slice(i, i + 2), minute = +s.slice(i + 3, i + 5), second = +s.slice(i + 6, i + 8)
    if (hour >= 24 || minute >= 60) this.fail('toml::parse_local_time: invalid time.', this.here(tStart), 'hour must be 00-23, minute must be 00-59.', '', true)
    if (second > 60) this.fail('toml::parse_local_time: invalid time.', this.here(tStart), 'second must be 00-60.', '', true)
    text += s.slice(i, i + 8)
    i += 8
    if (s[i] === '.') {
      let j = i + 1
      while (isDigit(this.c(j))) j++
      const frac = (s.slice(i + 1, j) + '000000000').slice(0, 9)
      const ms = frac.slice(0, 3), us = frac.slice(3, 6), ns = frac.slice(6, 9)
      if (ns !== '000') text += '.' + ms + us + ns
      else if (us !== '000') text += '.' + ms + us
      else if (ms !== '000') text += '.' + ms
      i = j
    }
    if (kind === 'offset-datetime') {
      const c = s[i]
      if (c === 'Z' || c === 'z') text += 'Z'
      else {
        const oh = +s.slice(i + 1, i + 3), om = +s.slice(i + 4, i + 6)
        if (oh > 24 || om > 60) this.fail('toml::parse_offset_datetime: too large offset: |hour| <= 24, |minute| <= 60', whole, 'here', '', true)
        const total = oh * 60 + om
        if (total === 0) text += 'Z'
        else text += (c === '-' ? '-' : '+') + String(Math.floor(total / 60)).padStart(2, '0') + ':' + String(total % 60).padStart(2, '0')
      }
    }
    this.pos = end
    return new TScalar({ kind, text }, region)
  }

  // ---------------------------------------------------------------- values

  private value(): Node {
    const at = this.pos
    const c = this.c()
    switch (c) {
      case 0x22: case 0x27: {
        const three = c === 0x22 ? '"""' : "'''"
        const v = this.s.startsWith(three, at)
          ? (c === 0x22 ? this.mlBasicString() : this.mlLiteralString())
          : (c === 0x22 ? this.basicString() : this.literalString())
        return new TScalar(v, { first: at, last: this.pos })
      }
      case 0x5b: return this.array()
      case 0x7b: return this.inlineTable()
      case 0x74: case 0x66: {
        const word = c === 0x74 ? 'true' : 'false'
        if (!this.s.startsWith(word, at)) {
          this.fail('toml::parse_boolean: invalid boolean: boolean must be `true` or `false`, in lowercase. string must be surrounded by `"`', this.here(at), 'expected a boolean')
        }
        this.pos += word.length
        return new TScalar(c === 0x74, { first: at, last: this.pos })
      }
      case 0x54: this.fail('toml::parse_value: `true` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected a boolean'); break
      case 0x46: this.fail('toml::parse_value: `false` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected a boolean'); break
      case 0x69: case 0x49:
        if (c === 0x49 || !this.s.startsWith('inf', at)) this.fail('toml::parse_value: `inf` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected inf')
        break
      case 0x6e: case 0x4e:
        if (c === 0x4e || !this.s.startsWith('nan', at)) this.fail('toml::parse_value: `nan` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected nan')
        break
    }
    const node = this.number()
    this.pos = (node as TScalar).region.last
    return node
  }

  private array(): TArray {
    const first = this.pos
    this.pos++
    const items: Node[] = []
    let sp = this.spacer()
    let comma = true
    while (!this.eof()) {
      if (this.c() === 0x5d) break
      if (!comma) this.fail('toml::parse_array: expected value-separator `,` or closing `]`', this.here(), 'here')
      items.push(this.value())
      sp = this.spacer()
      comma = this.c() === 0x2c
      if (comma) this.pos++
      const hadComment = this.commentLine()
      if (comma) sp = this.spacer()
      void hadComment
    }
    void sp
    if (this.c() !== 0x5d) this.fail('toml::parse_array: missing closing bracket `]`', this.here(), 'expected `]`, reached EOF')
    this.pos++
    return new TArray(items, false, { first, last: this.pos })
  }

  private inlineTable(): TTable {
    const first = this.pos
    this.pos++
    const table = new TTable(TableFmt.Inline, { first, last: first })
    this.skipWs()
    let empty = true
    let comma = false
    while (!this.eof()) {
      if (this.c() === 0x7d) {
        if (comma) this.fail('toml::parse_inline_table: trailing comma is not allowed in TOML-v1.0.0)', this.here(), 'here', '', true)
        break
      }
      if (!comma && !empty) this.fail('toml::parse_inline_table: expected value-separator `,` or closing `}`', this.here(), 'here')
      empty = false
      const { keys, region } = this.key()
      this.keyvalSep()
      const v = this.value()
      insert(InsertKind.Dotted, table, keys, region, v)
      this.skipWs()
      comma = this.c() === 0x2c
      if (comma) this.pos++
      this.skipWs()
    }
    if (this.c() !== 0x7d) this.fail('toml::parse_inline_table: missing closing bracket `}`', this.here(), 'expected `}`, reached line end')
    this.pos++
    table.region = { first, last: this.pos }
    return table
  }

  private keyvalSep(): void {
    this.skipWs()
    if (this.c() !== 0x3d) this.fail('toml::parse_key_value_pair: invalid key value separator `=`', this.here(), 'expected =')
    this.pos++
    this.skipWs()
  }

  // ---------------------------------------------------------------- tables and the file

  /** toml11 `parse_table`: key/value lines until EOF or a line starting with '['. */
  private tableBody(table: TTable): void {
    let newlineFound = true
    while (!this.eof()) {
      const start = this.pos
      const sp = this.spacer()
      if (this.eof()) break
      this.skipWs()
      if (this.c() === 0x5b) { this.pos = start; break }
      newlineFound = newlineFound || sp.newline
      if (!newlineFound) this.fail('toml::parse_table: newline (LF / CRLF) or EOF is expected', this.here(), 'here', '', true)
      newlineFound = false
      const { keys, region } = this.key()
      this.keyvalSep()
      const v = this.value()
      if (this.commentLine()) newlineFound = true
      insert(InsertKind.Dotted, table, keys, region, v)
    }
  }

  private header(array: boolean): { keys: string[]; region: Region } {
    const first = this.pos
    this.pos += array ? 2 : 1
    this.skipWs()
    const { keys } = this.key()
    this.skipWs()
    const close = array ? ']]' : ']'
    if (!this.s.startsWith(close, this.pos)) {
      this.fail(array ? 'toml::parse_file: invalid array-table key' : 'toml::parse_file: invalid table key', this.here(first), `expected ${close}`)
    }
    this.pos += close.length
    return { keys, region: { first, last: this.pos } }
  }

  parseFile(): TTable {
    const root = new TTable(TableFmt.Explicit, { first: 0, last: 0 })
    this.tableBody(root)
    while (!this.eof()) {
      this.spacer()
      if (this.eof()) break
      const array = this.s.startsWith('[[', this.pos)
      const { keys, region } = this.header(array)
      if (!this.commentLine()) {
        this.skipWs()
        if (!this.eof()) {
          const nl = this.newlineAt(this.pos)
          if (nl < 0) this.fail('toml::parse_file: newline (or EOF) expected', this.here(), 'expected newline')
          this.pos = nl
        }
      }
      const table = new TTable(TableFmt.Explicit, region)
      const target = insert(array ? InsertKind.ArrayTable : InsertKind.StdTable, root, keys, region, table)
      this.tableBody(target)
    }
    return root
  }
}

const enum InsertKind { StdTable, ArrayTable, Dotted }

function exists(title: string, keyRegion: Region, m1: string, other: Region, m2: string): never {
  throw new TomlParseError({ title, locations: [[keyRegion, m1], [other, m2]], suffix: '', exact: true })
}

const regionOf = (n: Node): Region => n.region

/**
 * toml11 `insert_value`: put `val` at `keys` under `root`, enforcing TOML's rules on which
 * tables may be extended. Returns the table to fill (for headers) or the inserted table.
 */
function insert(kind: InsertKind, root: TTable, keys: string[], keyRegion: Region, val: Node): TTable {
  let cur = root
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const found = cur.map.get(key)
    if (i + 1 < keys.length) {
      if (found === undefined) {
        const t = new TTable(kind === InsertKind.Dotted ? TableFmt.Dotted : TableFmt.Implicit, keyRegion)
        cur.map.set(key, t)
        cur = t
      } else if (found instanceof TTable) {
        if (found.fmt === TableFmt.Inline) exists('toml::insert_value: failed to insert a value: inline table is immutable', keyRegion, 'inserting this', found.region, 'to this table')
        if (kind === InsertKind.Dotted && found.fmt !== TableFmt.Dotted) exists('toml::insert_value: reopening a table using dotted keys', keyRegion, 'dotted key cannot reopen a table', found.region, 'this table is already closed')
        cur = found
      } else if (found instanceof TArray && found.items.length > 0 && found.items.every((x) => x instanceof TTable)) {
        if (!found.ofTables) exists('toml::insert_value:inline array of tables are immutable', keyRegion, 'inserting this', found.region, 'inline array of tables')
        if (kind === InsertKind.Dotted) exists('toml::insert_value:dotted key cannot reopen an array-of-tables', keyRegion, 'inserting this', found.region, 'to this array-of-tables.')
        cur = found.items[found.items.length - 1] as TTable
      } else {
        exists('toml::insert_value: failed to insert a value, value already exists', keyRegion, 'while inserting this', regionOf(found), 'non-table value already exists')
      }
      continue
    }
    switch (kind) {
      case InsertKind.Dotted:
        if (found !== undefined) exists('toml::insert_value: failed to insert a value, value already exists', keyRegion, 'inserting this', regionOf(found), 'but value already exists')
        cur.map.set(key, val)
        return val instanceof TTable ? val : cur
      case InsertKind.StdTable: {
        if (found === undefined) { cur.map.set(key, val); return val as TTable }
        if (!(found instanceof TTable) || found.fmt !== TableFmt.Implicit) exists('toml::insert_value: failed to insert a table, table already defined', keyRegion, 'inserting this', regionOf(found), 'this table is explicitly defined')
        found.fmt = TableFmt.Explicit
        found.region = val.region
        return found
      }
      case InsertKind.ArrayTable: {
        if (found === undefined) { cur.map.set(key, new TArray([val], true, keyRegion)); return val as TTable }
        if (!(found instanceof TArray) || found.items.length === 0 || !found.items.every((x) => x instanceof TTable)) exists('toml::insert_value: failed to insert an array of tables, value already exists', keyRegion, 'while inserting this', regionOf(found), 'non-table value already exists')
        if (!found.ofTables) exists('toml::insert_value: failed to insert a table, inline array of tables is immutable', keyRegion, 'while inserting this', found.region, 'this is inline array-of-tables')
        found.items.push(val as TTable)
        return val as TTable
      }
    }
  }
  throw new Error('toml: insert without keys')
}

function utf8(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp)
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f))
  if (cp < 0x10000) return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
  return String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
}

function toValue(n: Node): TomlValue {
  if (n instanceof TScalar) return n.value
  if (n instanceof TArray) return n.items.map(toValue)
  const m: TomlTable = new Map()
  for (const [k, v] of n.map) m.set(k, toValue(v))
  return m
}

/**
 * Parse a TOML document (a binary string). Throws TomlParseError with toml11's error report
 * parts; the source as the report needs it is `prepared(text)`.
 */
export function parseToml(text: string): TomlTable {
  return toValue(new Parser(prepared(text)).parseFile()) as TomlTable
}

/** The text as toml11 parses it: a '\n' appended unless it ends in LF or CR. */
export function prepared(text: string): string {
  if (text.length === 0) return text
  const last = text.charCodeAt(text.length - 1)
  return last === 0x0a || last === 0x0d ? text : text + '\n'
}
