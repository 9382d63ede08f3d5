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
 * TOML requires it, as toml11 does. After an error it skips ahead and goes on as toml11 does, so that
 * the report lists the same errors.
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
/** A leaf; its region is kept as two numbers (an object per value would cost GC time). */
class TScalar {
  constructor(readonly value: string | bigint | number | boolean | TomlDateTime, readonly first: number, readonly last: number) {}
  get region(): Region { return { first: this.first, last: this.last } }
}
type Node = TTable | TArray | TScalar

export class TomlParseError extends Error {
  constructor(readonly info: TomlErrorInfo) { super(info.title) }
}

const HINT_INT = 'Hint: valid  : -42, 1_000, 1_2_3_4_5, 0xC0FFEE, 0b0010, 0o755\nHint: invalid: _42, 1__000, 0123\n'
const HINT_FLOAT = 'Hint: valid  : +1.0, -2e-2, 3.141_592_653_589, inf, nan\nHint: invalid: .0, 1., _1.0, 1.0_, 1_.0, 1.0__0\n'
const INT64_MAX = (1n << 63n) - 1n
const FLOAT_EXPECTED = 'expected from `1` to `9` or digit [0-9] or inf or nan'
const NEWLINE_EXPECTED = 'expected 0x0a(LINE FEED) or \r\n'
const INT64_MIN = -(1n << 63n)

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
const isBareKey = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x2d || c === 0x5f

class Parser {
  private pos = 0
  private readonly n: number
  private readonly errors: TomlErrorInfo[] = []

  constructor(private readonly s: string) {
    this.n = s.length
    if (s.startsWith('\u00ef\u00bb\u00bf')) this.pos = 3
  }

  private c(at = this.pos): number { return at < this.n ? this.s.charCodeAt(at) : -1 }
  private eof(): boolean { return this.pos >= this.n }

  private fail(title: string, region: Region, msg: string, suffix = ''): never {
    throw new TomlParseError({ title, locations: [[region, msg]], suffix })
  }
  /** toml11 `region(loc)`: the byte at `at`, or at the end the last byte (then a line further). */
  private here(at = this.pos): Region {
    return at < this.n ? { first: at, last: at + 1, point: true } : { first: Math.max(0, this.n - 1), last: this.n }
  }

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
        // toml11 skips past the next LF first, and reports where it stopped
        while (!this.eof()) { this.pos++; if (this.c() === 0x0a) { this.pos++; break } }
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

  private escape(title: string, expected: string): string {
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
        if (!isHex(this.c(this.pos + i))) this.fail(title, this.here(start), expected)
      }
      const cp = parseInt(this.s.slice(this.pos + 1, this.pos + 1 + len), 16)
      this.pos += 1 + len
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        // toml11 decodes escapes from a copy of the rest of the string, and reports against it
        const rest = this.s.slice(start, this.contentEnd(start, expected === 'expected "' ? '"' : '"""'))
        const source = { name: 'internal temporary', text: rest }
        const reg = { first: 1, last: 2 + len }
        const [title2, msg] = cp > 0x10ffff
          ? ['toml::parse_utf8_codepoint: input codepoint is too large.', 'must be in range [0x00, 0x10FFFF]']
          : ['toml::parse_utf8_codepoint: [0xD800, 0xDFFF] is not a valid UTF-8', 'here']
        throw new TomlParseError({ title: title2, locations: [[reg, msg]], suffix: '', source })
      }
      return utf8(cp)
    }
    this.pos = start
    return this.fail(title, this.here(start), expected)
  }

  /** Where the content of the string being read ends (before its closing quotes). */
  private contentEnd(at: number, close: string): number {
    let i = at
    for (;;) {
      i = this.basicRun(i)
      if (this.eof() || i >= this.n) return this.n
      if (this.s.startsWith(close, i)) {
        if (close.length === 3) { let q = 3; while (q < 5 && this.c(i + q) === 0x22) q++; return i + q - 3 }
        return i
      }
      const c = this.c(i)
      if (c === 0x5c) i += this.c(i + 1) === 0x75 ? 6 : this.c(i + 1) === 0x55 ? 10 : 2
      else if (c === 0x22 || this.newlineAt(i) >= 0) i += c === 0x0d ? 2 : 1
      else return i
    }
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
      if (c === 0x5c) { out += this.escape('toml::parse_basic_string: invalid string format', 'expected "'); continue }
      void start
      return this.fail('toml::parse_basic_string: invalid string format', this.here(), 'expected "')
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
        out += this.escape('toml::parse_ml_basic_string: invalid string format', 'expected """')
        continue
      }
      if (c === 0x22) {
        const run = this.quoteRun(0x22)
        out += run.text
        if (run.closed) return out
        continue
      }
      return this.fail('toml::parse_ml_basic_string: invalid string format', this.here(), 'expected """')
    }
  }

  /**
   * At a run of `quote` characters in a multi-line string: the quotes that are content, and
   * whether the run closes the string (three close it; up to two more before them are content).
   */
  private quoteRun(quote: number): { text: string; closed: boolean } {
    let q = 0
    while (this.c(this.pos + q) === quote) q++
    const ch = String.fromCharCode(quote)
    if (q < 3) { this.pos += q; return { text: ch.repeat(q), closed: false } }
    const extra = Math.min(q - 3, 2)
    this.pos += 3 + extra
    return { text: ch.repeat(extra), closed: true }
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
        const run = this.quoteRun(0x27)
        out += run.text
        if (run.closed) return out
        continue
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
        'expected alpha [a-zA-Z], digit [0-9], -, or _', 'Hint: non-ASCII scripts are allowed in toml v1.1.0, but not in v1.0.0.\n')
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
  /** Where `HH:MM:SS` stops matching, and what toml11 says it expected there. */
  private timeFailure(at: number): [number, string] {
    const shape = 'dd:dd:dd'
    for (let i = 0; i < shape.length; i++) {
      const c = this.c(at + i)
      if (shape[i] === 'd' ? !isDigit(c) : c !== 0x3a) return [at + i, shape[i] === 'd' ? 'digit [0-9]' : ':']
    }
    return [at + shape.length, 'digit [0-9]']
  }

  /** Where a `+HH:MM` offset stops matching, and what was expected there. */
  private offsetFailure(at: number): [number, string] {
    const shape = '+dd:dd'
    for (let i = 1; i < shape.length; i++) {
      const c = this.c(at + i)
      if (shape[i] === 'd' ? !isDigit(c) : c !== 0x3a) return [at + i, shape[i] === 'd' ? 'digit [0-9]' : ':']
    }
    return [at, '']
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
      if (c === 0x2b || c === 0x2d) {
        const [at2, exp] = this.offsetFailure(ldt)
        this.fail('bad offset: must be [+-]HH:MM or Z', this.here(at2), `expected z or Z or ${exp}`, 'Hint: valid  : +09:00, -05:30\nHint: invalid: +9:00,  -5:30\n')
      }
      return this.dateTime(at, ldt, 'local-datetime')
    }
    const ld = this.scanDate(at)
    if (ld >= 0) {
      const c = this.c(ld)
      const hint = 'Hint: valid  : 1979-05-27T07:32:00, 1979-05-27 07:32:00.999999\nHint: invalid: 1979-05-27T7:32:00, 1979-05-27 17:32\n'
      if (c === 0x54 || c === 0x74 || (c === 0x20 && isDigit(this.c(ld + 1)))) {
        const [at2, exp] = this.timeFailure(ld + 1)
        this.fail('bad time: must be HH:MM:SS.subsec', this.here(at2), `expected ${exp}`, hint)
      }
      if (isDigit(c)) this.fail('bad datetime: missing T or space', this.here(ld), 'expected T, t, or 0x20(SPACE)', hint)
      return this.dateTime(at, ld, 'local-date')
    }
    const lt = this.scanTime(at)
    if (lt >= 0) return this.dateTime(at, lt, 'local-time')
    const fl = this.scanFloat(at)
    if (fl >= 0) {
      if (this.c(fl) === 0x5f) this.fail('bad float: `_` must be surrounded by digits', this.here(fl), 'invalid underscore', HINT_FLOAT)
      return this.float(at, fl)
    }
    const it = this.scanInteger(at)
    if (it >= 0) {
      const c = this.c(it)
      const text = this.s.slice(at, it)
      if (c === 0x5f) {
        if (text === '0' || text === '-0' || text === '+0') this.fail('bad integer: leading zero is not allowed in decimal int', this.here(it), 'leading zero', HINT_INT)
        this.fail('bad integer: `_` must be surrounded by digits', this.here(it), 'invalid underscore', HINT_INT)
      }
      if (isDigit(c)) {
        if (c === 0x30) this.fail('bad integer: leading zero', this.here(it - 1), 'leading zero is not allowed', HINT_INT)
        this.fail('bad integer: invalid digit after an integer', this.here(it), 'this digit is not allowed', HINT_INT)
      }
      if (c === 0x3a || c === 0x2d) {
        this.fail('bad datetime: invalid format', this.here(it), 'here',
          'Hint: valid  : 1979-05-27T07:32:00-07:00, 1979-05-27 07:32:00.999999Z\nHint: invalid: 1979-05-27T7:32:00-7:00, 1979-05-27 7:32-00:30')
      }
      if (c === 0x2e || c === 0x65 || c === 0x45) this.fail('bad float: invalid format', this.here(it), 'here', HINT_FLOAT)
      return this.integer(at, it)
    }
    const c = this.c(at)
    if (c === 0x2e) this.fail('bad float: integer part is required before decimal point', this.here(at), 'missing integer part', HINT_FLOAT)
    if (c === 0x5f) this.fail('bad number: `_` must be surrounded by digits', this.here(at), 'digits required before `_`', HINT_INT)
    return this.fail('bad format: unknown value appeared', this.here(at), 'here')
  }

  /** toml11 `parse_integer`: a `0b`/`0o`/`0x` prefix (after an optional sign) picks the base. */
  private integer(at: number, end: number): Node {
    let i = at
    if (this.c(i) === 0x2b || this.c(i) === 0x2d) i++
    if (this.c(i) === 0x30) {
      const p = this.c(i + 1)
      if (p === 0x62) return this.prefixed(at, 2)
      if (p === 0x6f) return this.prefixed(at, 8)
      if (p === 0x78) return this.prefixed(at, 16)
      if (isDigit(p)) this.fail('toml::parse_integer: leading zero in an decimal integer is not allowed', this.here(at), 'leading zero')
    }
    const v = BigInt(this.s.slice(at, end).replaceAll('_', ''))
    if (v > INT64_MAX || v < INT64_MIN) this.fail('toml::parse_dec_integer: too large integer: current max digits = 2^63', this.here(end), 'must be < 2^63')
    return new TScalar(v, at, end)
  }

  private prefixed(at: number, base: 2 | 8 | 16): Node {
    const name = base === 16 ? 'hex' : base === 8 ? 'oct' : 'bin'
    const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '0b'
    const example = base === 16 ? '0xC0FFEE, 0xdead_beef' : base === 8 ? '0o775, 0o04_44' : '0b0101, 0b1111_0000'
    const title = `toml::parse_${name}_integer: invalid integer: ${name}_int must be like: ${example}`
    if (!this.s.startsWith(prefix, at)) this.fail(title, this.here(at), `expected ${prefix}`)
    const end = base === 16 ? this.scanHexInt(at) : base === 8 ? this.scanOctInt(at) : this.scanBinInt(at)
    if (end < 0) this.fail(title, this.here(at + 2), `expected ${base === 16 ? 'hex [0-9a-fA-F]' : base === 8 ? 'from `0` to `7`' : '0 or 1'}`)
    const digits = this.s.slice(at + 2, end).replaceAll('_', '').replace(/^0+/, '') || '0'
    const v = BigInt(prefix + digits)
    if (base === 2 ? digits.length > 63 : v > INT64_MAX) {
      this.fail(`toml::parse_${name}_integer: too large integer: current max value = 2^63`, this.here(end), 'must be < 2^63')
    }
    this.pos = end
    return new TScalar(v, at, end)
  }

  private float(at: number, end: number): Node {
    const text = this.s.slice(at, end).replaceAll('_', '')
    const region = { first: at, last: end }
    const body = text.replace(/^[+-]/, '')
    if (body === 'inf') return new TScalar(text[0] === '-' ? -Infinity : Infinity, at, end)
    if (body === 'nan') return new TScalar(NaN, at, end)
    const v = Number(text)
    if (!Number.isFinite(v)) this.fail('toml::parse_floating: failed to read floating point value from stream', this.here(end), 'here')
    return new TScalar(v, at, end)
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
        this.fail('toml::parse_local_date: invalid date.', this.here(at), 'month must be 01-12, day must be any of 01-28,29,30,31 depending on the month/year.')
      }
      text = s.slice(i, i + 10)
      i += 10
      if (kind === 'local-date') { this.pos = end; return new TScalar({ kind, text }, at, end) }
      i++ // the delimiter
      text += 'T'
    }
    const tStart = i
    const hour = +s.slice(i, i + 2), minute = +s.slice(i + 3, i + 5), second = +s.slice(i + 6, i + 8)
    if (hour >= 24 || minute >= 60) this.fail('toml::parse_local_time: invalid time.', this.here(tStart), 'hour must be 00-23, minute must be 00-59.')
    if (second > 60) this.fail('toml::parse_local_time: invalid time.', this.here(tStart), 'second must be 00-60.')
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
        if (oh > 24 || om > 60) this.fail('toml::parse_offset_datetime: too large offset: |hour| <= 24, |minute| <= 60', whole, 'here')
        const total = oh * 60 + om
        if (total === 0) text += 'Z'
        else text += (c === '-' ? '-' : '+') + String(Math.floor(total / 60)).padStart(2, '0') + ':' + String(total % 60).padStart(2, '0')
      }
    }
    this.pos = end
    return new TScalar({ kind, text }, at, end)
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
        return new TScalar(v, at, this.pos)
      }
      case 0x5b: return this.array()
      case 0x7b: return this.inlineTable()
      case 0x74: case 0x66: {
        const word = c === 0x74 ? 'true' : 'false'
        if (!this.s.startsWith(word, at)) {
          this.fail('toml::parse_boolean: invalid boolean: boolean must be `true` or `false`, in lowercase. string must be surrounded by `"`', this.here(at), 'expected true or false')
        }
        this.pos += word.length
        return new TScalar(c === 0x74, at, this.pos)
      }
      case 0x54: this.fail('toml::parse_value: `true` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected true or false'); break
      case 0x46: this.fail('toml::parse_value: `false` must be in lowercase. A string must be surrounded by quotes.', this.here(at), 'expected true or false'); break
      case 0x69: case 0x49:
        if (c === 0x49 || !this.s.startsWith('inf', at)) this.fail('toml::parse_value: `inf` must be in lowercase. A string must be surrounded by quotes.', this.here(at), FLOAT_EXPECTED)
        break
      case 0x6e: case 0x4e:
        if (c === 0x4e || !this.s.startsWith('nan', at)) this.fail('toml::parse_value: `nan` must be in lowercase. A string must be surrounded by quotes.', this.here(at), FLOAT_EXPECTED)
        break
    }
    const node = this.number()
    this.pos = (node as TScalar).last
    return node
  }

  private array(): TArray {
    const first = this.pos
    const before = this.errors.length
    this.pos++
    const items: Node[] = []
    this.spacer()
    let comma = true
    while (!this.eof()) {
      if (this.c() === 0x5d) break
      if (!comma) this.fail('toml::parse_array: expected value-separator `,` or closing `]`', this.here(), 'here')
      try {
        items.push(this.value())
      } catch (e) {
        this.report(e)
        const at = this.pos
        this.skipValue()
        if (this.pos === at) break
        continue
      }
      this.spacer()
      comma = this.c() === 0x2c
      if (comma) this.pos++
      try { this.commentLine() } catch (e) { this.report(e) }
      if (comma) this.spacer()
    }
    if (this.c() !== 0x5d) this.fail('toml::parse_array: missing closing bracket `]`', this.here(), 'expected `]`, reached EOF')
    this.pos++
    // toml11 returns the last reported error without removing it: the caller reports it again
    if (this.errors.length > before) throw new TomlParseError(this.errors[this.errors.length - 1]!)
    return new TArray(items, false, { first, last: this.pos })
  }

  private inlineTable(): TTable {
    const first = this.pos
    const before = this.errors.length
    this.pos++
    const table = new TTable(TableFmt.Inline, { first, last: first })
    this.skipWs()
    let empty = true
    let comma = false
    while (!this.eof()) {
      if (this.c() === 0x7d) {
        if (comma) this.fail('toml::parse_inline_table: trailing comma is not allowed in TOML-v1.0.0)', this.here(), 'here')
        break
      }
      if (!comma && !empty) this.fail('toml::parse_inline_table: expected value-separator `,` or closing `}`', this.here(), 'here')
      empty = false
      let kv
      try { kv = this.keyValue() } catch (e) {
        this.report(e)
        while (!this.eof() && this.c() !== 0x7d && this.c() !== 0x0a) this.pos++
        break
      }
      try { insert(InsertKind.Dotted, table, kv.keys, kv.region, kv.value) } catch (e) {
        this.report(e)
        while (!this.eof()) {
          const c = this.c()
          if (c === 0x2c || c === 0x0a || c === 0x7d) { comma = c === 0x2c; break }
          this.pos++
        }
        continue
      }
      this.skipWs()
      comma = this.c() === 0x2c
      if (comma) this.pos++
      this.skipWs()
    }
    if (this.c() !== 0x7d) this.fail('toml::parse_inline_table: missing closing bracket `}`', this.here(), 'expected `}`, reached line end')
    this.pos++
    if (this.errors.length > before) throw new TomlParseError(this.errors.pop()!)
    table.region = { first, last: this.pos }
    return table
  }

  /** toml11 `parse_key_value_pair`; where `pos` is left on failure matters for recovery. */
  private keyValue(): { keys: string[]; region: Region; value: Node } {
    const first = this.pos
    let k
    try { k = this.key() } catch (e) { this.pos = first; throw e }
    this.skipWs()
    if (this.c() !== 0x3d) {
      const err = new TomlParseError({ title: 'toml::parse_key_value_pair: invalid key value separator `=`', locations: [[this.here(), 'expected =']], suffix: '' })
      this.pos = first
      throw err
    }
    this.pos++
    this.skipWs()
    return { keys: k.keys, region: k.region, value: this.value() }
  }

  // ---------------------------------------------------------------- error recovery (toml11 skip.hpp)

  private report(e: unknown): void {
    if (e instanceof TomlParseError) this.errors.push(e.info)
    else throw e
  }

  private skipStringLike(): void {
    const s = this.s
    for (const q of ['"""', "'''"]) {
      if (s.startsWith(q, this.pos)) {
        this.pos += 3
        while (!this.eof()) { if (s.startsWith(q, this.pos)) { this.pos += 3; return } this.pos++ }
        return
      }
    }
    const q = this.c()
    if (q === 0x22 || q === 0x27) {
      while (!this.eof()) {
        this.pos++
        const c = this.c()
        if (c === q || c === 0x0a) { this.pos++; return }
      }
    }
  }

  private skipCommentBlock(): void {
    while (!this.eof()) {
      this.skipWs()
      if (this.c() === 0x23) {
        while (!this.eof()) { if (this.c() === 0x0a) { this.pos++; break } this.pos++ }
      } else {
        const nl = this.newlineAt(this.pos)
        if (nl < 0) return
        this.pos = nl
      }
    }
  }

  private isHeaderAt(at: number): boolean { return this.scanHeader(at, false) >= 0 || this.scanHeader(at, true) >= 0 }

  private skipArrayLike(): void {
    this.pos++
    while (!this.eof()) {
      const c = this.c()
      if (c === 0x22 || c === 0x27) this.skipStringLike()
      else if (c === 0x23) this.skipCommentBlock()
      else if (c === 0x7b) this.skipInlineTableLike()
      else if (c === 0x5b) {
        if (this.isHeaderAt(this.pos)) break
        this.skipArrayLike()
      } else if (c === 0x3d) {
        // a key/value pair: assume the `]` is missing, back to the start of this line
        while (this.pos !== 0) { this.pos--; if (this.c() === 0x0a) { this.pos++; break } }
        break
      } else if (c === 0x5d) break
      else this.pos++
    }
  }

  private skipInlineTableLike(): void {
    this.pos++
    while (!this.eof()) {
      const c = this.c()
      if (c === 0x0a) break
      if (c === 0x22 || c === 0x27) this.skipStringLike()
      else if (c === 0x23) { this.skipCommentBlock(); break }
      else if (c === 0x5b) {
        if (this.isHeaderAt(this.pos)) break
        this.skipArrayLike()
      } else if (c === 0x7b) this.skipInlineTableLike()
      else if (c === 0x7d) break
      else this.pos++
    }
  }

  private skipValue(): void {
    const c = this.c()
    if (c === 0x22 || c === 0x27) this.skipStringLike()
    else if (c === 0x5b) this.skipArrayLike()
    else if (c === 0x7b) this.skipInlineTableLike()
    else {
      while (!this.eof()) {
        const d = this.c()
        if (d === 0x0a || d === 0x2c || d === 0x5d || d === 0x7d) break
        this.pos++
      }
    }
  }

  private skipKeyValuePair(): void {
    while (!this.eof()) {
      const c = this.c()
      if (c === 0x3d) { this.skipValue(); return }
      if (c === 0x0a) return
      this.pos++
    }
  }

  private skipUntilNextTable(): void {
    while (!this.eof()) {
      if (this.c() === 0x0a) {
        this.pos++
        const lineBegin = this.pos
        this.skipWs()
        if (this.isHeaderAt(this.pos)) { this.pos = lineBegin; return }
      }
      this.pos++
    }
  }

  // ---------------------------------------------------------------- tables and the file

  /**
   * toml11 `parse_table`: key/value lines until EOF or a line starting with '['. Errors in a
   * line are reported and the line skipped; at the end the last one is thrown (and removed,
   * because the caller reports it again).
   */
  private tableBody(table: TTable): void {
    const before = this.errors.length
    let newlineFound = true
    while (!this.eof()) {
      const start = this.pos
      const sp = this.spacer()
      if (this.eof()) break
      this.skipWs()
      if (this.c() === 0x5b) { this.pos = start; break }
      newlineFound = newlineFound || sp.newline
      if (!newlineFound) this.fail('toml::parse_table: newline (LF / CRLF) or EOF is expected', this.here(), 'here')
      newlineFound = false
      let kv
      try { kv = this.keyValue() } catch (e) { this.report(e); this.skipKeyValuePair(); continue }
      try { if (this.commentLine()) newlineFound = true } catch (e) { this.report(e) }
      try { insert(InsertKind.Dotted, table, kv.keys, kv.region, kv.value) } catch (e) { this.report(e) }
    }
    if (this.errors.length > before) throw new TomlParseError(this.errors.pop()!)
  }

  /** The syntax of `[key]` / `[[key]]` (toml11 `syntax::std_table` / `array_table`); end or -1. */
  private scanHeader(at: number, array: boolean): number {
    const open = array ? 2 : 1
    if (this.s.substr(at, open) !== '['.repeat(open)) return -1
    let i = at + open
    const ws = (): void => { while (this.c(i) === 0x20 || this.c(i) === 0x09) i++ }
    ws()
    for (;;) {
      const k = this.scanSimpleKey(i)
      if (k < 0) return -1
      i = k
      const save = i
      ws()
      if (this.c(i) !== 0x2e) { i = save; break }
      i++
      ws()
    }
    ws()
    const close = array ? ']]' : ']'
    return this.s.startsWith(close, i) ? i + close.length : -1
  }

  /** Where the syntax of a header stops matching, and what was expected there. */
  private headerFailure(at: number, array: boolean): [number, string] {
    let i = at + (array ? 2 : 1)
    const ws = (): void => { while (this.c(i) === 0x20 || this.c(i) === 0x09) i++ }
    ws()
    const keyExpected = 'basic key([a-zA-Z0-9_-]) or quoted key(" or \')'
    let k = this.scanSimpleKey(i)
    if (k < 0) return [i, keyExpected]
    for (;;) {
      i = k
      let j = i
      while (this.c(j) === 0x20 || this.c(j) === 0x09) j++
      if (this.c(j) !== 0x2e) break
      j++
      while (this.c(j) === 0x20 || this.c(j) === 0x09) j++
      k = this.scanSimpleKey(j)
      if (k < 0) break
    }
    ws()
    return [i, array ? ']]' : ']']
  }

  /** The syntax of one simple key; its end or -1. */
  private scanSimpleKey(at: number): number {
    const c = this.c(at)
    if (c === 0x22) {
      let i = at + 1
      for (;;) {
        i = this.basicRun(i)
        const d = this.c(i)
        if (d === 0x22) return i + 1
        if (d !== 0x5c) return -1
        const e = this.c(i + 1)
        if ([0x22, 0x5c, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) { i += 2; continue }
        const len = e === 0x75 ? 4 : e === 0x55 ? 8 : -1
        if (len < 0) return -1
        for (let j = 0; j < len; j++) if (!isHex(this.c(i + 2 + j))) return -1
        i += 2 + len
      }
    }
    if (c === 0x27) {
      const i = this.literalRun(at + 1)
      return this.c(i) === 0x27 ? i + 1 : -1
    }
    let i = at
    while (isBareKey(this.c(i))) i++
    return i > at ? i : -1
  }

  private header(array: boolean): { keys: string[]; region: Region } {
    const first = this.pos
    const end = this.scanHeader(first, array)
    this.pos += array ? 2 : 1
    this.skipWs()
    const { keys } = this.key()
    this.pos = end
    return { keys, region: { first, last: end } }
  }

  parseFile(): TTable {
    const root = new TTable(TableFmt.Explicit, { first: 0, last: 0 })
    try { this.tableBody(root) } catch (e) { this.report(e); this.skipUntilNextTable() }
    while (!this.eof()) {
      this.spacer()
      if (this.eof()) break
      const array = this.scanHeader(this.pos, true) >= 0
      if (!array && this.scanHeader(this.pos, false) < 0) {
        const isArray = this.s.startsWith('[[', this.pos)
        const title = isArray ? 'toml::parse_file: invalid array-table key' : 'toml::parse_file: invalid table key'
        const [at, exp] = this.headerFailure(this.pos, isArray)
        this.report(new TomlParseError({ title, locations: [[this.here(at), `expected ${exp}`]], suffix: '' }))
        this.skipUntilNextTable()
        continue
      }
      let h
      try { h = this.header(array) } catch (e) { this.report(e); this.skipUntilNextTable(); continue }
      try {
        if (!this.commentLine()) {
          this.skipWs()
          if (!this.eof()) {
            const nl = this.newlineAt(this.pos)
            if (nl < 0) {
              this.report(new TomlParseError({ title: 'toml::parse_file: newline (or EOF) expected', locations: [[this.here(), NEWLINE_EXPECTED]], suffix: '' }))
              this.skipUntilNextTable()
              continue
            }
            this.pos = nl
          }
        }
      } catch (e) { this.report(e); this.skipUntilNextTable(); continue }
      const table = new TTable(TableFmt.Explicit, h.region)
      let target: TTable
      try {
        target = insert(array ? InsertKind.ArrayTable : InsertKind.StdTable, root, h.keys, h.region, table)
      } catch (e) {
        this.report(e)
        try { this.tableBody(new TTable(TableFmt.Explicit, h.region)) } catch (e2) { this.report(e2); this.skipUntilNextTable() }
        continue
      }
      try { this.tableBody(target) } catch (e) { this.report(e); this.skipUntilNextTable() }
    }
    if (this.errors.length > 0) throw new TomlParseErrors(this.errors)
    return root
  }
}

/** Every error toml11 would report, in order (its exception text is all of them). */
export class TomlParseErrors extends Error {
  constructor(readonly infos: TomlErrorInfo[]) { super(infos[0]?.title ?? 'toml parse error') }
}

const enum InsertKind { StdTable, ArrayTable, Dotted }

function exists(title: string, keyRegion: Region, m1: string, other: Region, m2: string): never {
  throw new TomlParseError({ title, locations: [[keyRegion, m1], [other, m2]], suffix: '' })
}

const regionOf = (n: Node): Region => n.region

/** toml11 `is_array_of_tables`: non-empty, tables only ([[…]] arrays are so by construction). */
const isArrayOfTables = (a: TArray): boolean => a.ofTables || (a.items.length > 0 && a.items.every((x) => x instanceof TTable))

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
      } else if (found instanceof TArray && isArrayOfTables(found)) {
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
        if (!(found instanceof TArray) || !isArrayOfTables(found)) exists('toml::insert_value: failed to insert an array of tables, value already exists', keyRegion, 'while inserting this', regionOf(found), 'non-table value already exists')
        if (!found.ofTables) exists('toml::insert_value: failed to insert a table, inline array of tables is immutable', keyRegion, 'while inserting this', found.region, 'this is inline array-of-tables')
        found.items.push(val)
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

/** Ways to turn leaves and keys into the caller's values while the tree is converted. */
export interface TomlHooks<L> {
  leaf(v: string | bigint | number | boolean | TomlDateTime): L
  key(k: string): string
}

/** A parsed document converted with `hooks` (tables become Maps, arrays arrays). */
export type TomlTree<L> = L | TomlTree<L>[] | Map<string, TomlTree<L>>

function convert<L>(n: Node, hooks: TomlHooks<L> | undefined): TomlTree<L> {
  if (n instanceof TScalar) return hooks ? hooks.leaf(n.value) : (n.value as L)
  if (n instanceof TArray) {
    const out = new Array<TomlTree<L>>(n.items.length)
    for (let i = 0; i < n.items.length; i++) out[i] = convert(n.items[i]!, hooks)
    return out
  }
  const m = new Map<string, TomlTree<L>>()
  for (const [k, v] of n.map) m.set(hooks ? hooks.key(k) : k, convert(v, hooks))
  return m
}

/**
 * Parse a TOML document (a binary string). Throws TomlParseErrors with toml11's error reports
 * (it goes on after an error, as toml11 does); the source as the report needs it is
 * `prepared(text)`.
 */
export function parseToml(text: string): TomlTable
export function parseToml<L>(text: string, hooks: TomlHooks<L>): Map<string, TomlTree<L>>
export function parseToml<L>(text: string, hooks?: TomlHooks<L>): Map<string, TomlTree<L>> | TomlTable {
  return convert(new Parser(prepared(text)).parseFile(), hooks) as Map<string, TomlTree<L>>
}

/** The text as toml11 parses it: a '\n' appended unless it ends in LF or CR. */
export function prepared(text: string): string {
  if (text.length === 0) return text
  const last = text.charCodeAt(text.length - 1)
  return last === 0x0a || last === 0x0d ? text : text + '\n'
}
