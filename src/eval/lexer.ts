/**
 * The Nix lexer, a hand-written equivalent of C++ Nix's flex scanner (src/libexpr/lexer.l):
 * the same start conditions (DEFAULT, STRING, IND_STRING, INPATH, INPATH_SLASH, PATH_START),
 * the same longest-match-then-first-rule choice, the same token boundaries and locations (byte
 * offsets), so that the parser sees exactly what Bison sees in C++ Nix.
 *
 * Input is a binary string (one char per byte).
 */
import { ParseError } from './errors.js'

/** Token kinds. Values < 256 are single-character tokens (their char code). */
export const Tok = {
  EOF: 0,
  ID: 256, STR: 257, IND_STR: 258, INT_LIT: 259, FLOAT_LIT: 260, PATH: 261, HPATH: 262, SPATH: 263, PATH_END: 264, URI: 265,
  IF: 266, THEN: 267, ELSE: 268, ASSERT: 269, WITH: 270, LET: 271, IN_KW: 272, REC: 273, INHERIT: 274,
  EQ: 275, NEQ: 276, LEQ: 277, GEQ: 278, UPDATE: 279, CONCAT: 280, AND: 281, OR: 282, IMPL: 283, OR_KW: 284,
  PIPE_FROM: 285, PIPE_INTO: 286, DOLLAR_CURLY: 287, IND_STRING_OPEN: 288, IND_STRING_CLOSE: 289, ELLIPSIS: 290,
} as const

export interface Token {
  kind: number
  /** Byte offsets into the source. */
  begin: number
  end: number
  /** ID/PATH/URI text, or the (unescaped) string for STR/IND_STR. */
  text: string
  /** INT_LIT value (checked int64). */
  int?: number | bigint
  /** FLOAT_LIT value. */
  float?: number
  /** IND_STR: whether the text takes part in indentation stripping (false for escapes). */
  hasIndentation?: boolean
}

const S = { INITIAL: 0, DEFAULT: 1, STRING: 2, IND_STRING: 3, INPATH: 4, INPATH_SLASH: 5, PATH_START: 6 } as const
type S = number

/**
 * The keyword token of `w`, if it is one. Compared by length and text rather than looked up in
 * a table: a keyed lookup with a freshly sliced string first looks the string up in V8's string
 * table, which cost more than the rest of scanning an identifier.
 */
function keyword(w: string): number | undefined {
  switch (w.length) {
    case 2: return w === 'if' ? Tok.IF : w === 'in' ? Tok.IN_KW : w === 'or' ? Tok.OR_KW : undefined
    case 3: return w === 'let' ? Tok.LET : w === 'rec' ? Tok.REC : undefined
    case 4: return w === 'then' ? Tok.THEN : w === 'else' ? Tok.ELSE : w === 'with' ? Tok.WITH : undefined
    case 6: return w === 'assert' ? Tok.ASSERT : undefined
    case 7: return w === 'inherit' ? Tok.INHERIT : undefined
    default: return undefined
  }
}

const OPS2: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, {
  '==': Tok.EQ, '!=': Tok.NEQ, '<=': Tok.LEQ, '>=': Tok.GEQ, '&&': Tok.AND, '||': Tok.OR,
  '->': Tok.IMPL, '//': Tok.UPDATE, '++': Tok.CONCAT, '<|': Tok.PIPE_FROM, '|>': Tok.PIPE_INTO,
})

/** Characters that start only an operator or a one-character token: ; = ( ) [ ] , : ? @ ! * > & | */
const PUNCT = new Uint8Array(128)
for (const ch of ';=()[],:?@!*>&|') PUNCT[ch.charCodeAt(0)] = 1

// Character classes (flex definitions).
const isIdStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95
const isIdChar = (c: number): boolean => isIdStart(c) || (c >= 48 && c <= 57) || c === 39 || c === 45
const isDigit = (c: number): boolean => c >= 48 && c <= 57
/** PATH_CHAR: [a-zA-Z0-9._\-+] */
const isPathChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 43
/** URI tail chars: [a-zA-Z0-9%/?:@&=+$,\-_.!~*'] */
const isUriChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
  c === 37 || c === 47 || c === 63 || c === 58 || c === 64 || c === 38 || c === 61 || c === 43 ||
  c === 36 || c === 44 || c === 45 || c === 95 || c === 46 || c === 33 || c === 126 || c === 42 || c === 39
/** URI scheme chars after the first letter: [a-zA-Z0-9+\-.] */
const isSchemeChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46

// ---- matchers: each returns the match length at position i (0 = no match) ----

function matchPathChars(s: string, i: number): number {
  let j = i
  while (j < s.length && isPathChar(s.charCodeAt(j))) j++
  return j - i
}

/** PATH = {PATH_CHAR}*(\/{PATH_CHAR}+)+\/? */
function matchPath(s: string, i: number): number {
  let j = i + matchPathChars(s, i)
  let segs = 0
  for (;;) {
    if (s.charCodeAt(j) !== 47) break
    const n = matchPathChars(s, j + 1)
    if (n === 0) break
    j += 1 + n
    segs++
  }
  if (segs === 0) return 0
  if (s.charCodeAt(j) === 47) j++
  return j - i
}

/** PATH_SEG = {PATH_CHAR}*\/ */
function matchPathSeg(s: string, i: number): number {
  const n = matchPathChars(s, i)
  return s.charCodeAt(i + n) === 47 ? n + 1 : 0
}

/** HPATH = \~(\/{PATH_CHAR}+)+\/? */
function matchHPath(s: string, i: number): number {
  if (s.charCodeAt(i) !== 126) return 0
  let j = i + 1
  let segs = 0
  for (;;) {
    if (s.charCodeAt(j) !== 47) break
    const n = matchPathChars(s, j + 1)
    if (n === 0) break
    j += 1 + n
    segs++
  }
  if (segs === 0) return 0
  if (s.charCodeAt(j) === 47) j++
  return j - i
}

/** SPATH = \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\> */
function matchSPath(s: string, i: number): number {
  if (s.charCodeAt(i) !== 60) return 0
  let j = i + 1
  let n = matchPathChars(s, j)
  if (n === 0) return 0
  j += n
  for (;;) {
    if (s.charCodeAt(j) !== 47) break
    n = matchPathChars(s, j + 1)
    if (n === 0) break
    j += 1 + n
  }
  return s.charCodeAt(j) === 62 ? j + 1 - i : 0
}

/** URI = [a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+ */
function matchUri(s: string, i: number): number {
  let c = s.charCodeAt(i)
  if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90))) return 0
  let j = i + 1
  while (j < s.length && isSchemeChar(s.charCodeAt(j))) j++
  if (s.charCodeAt(j) !== 58) return 0
  j++
  const start = j
  while (j < s.length) {
    c = s.charCodeAt(j)
    if (!isUriChar(c)) break
    j++
  }
  return j > start ? j - i : 0
}

/** FLOAT = (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)? */
function matchFloat(s: string, i: number): number {
  let j = i
  const c = s.charCodeAt(j)
  if (c >= 49 && c <= 57) {
    j++
    while (isDigit(s.charCodeAt(j))) j++
    if (s.charCodeAt(j) !== 46) return 0
    j++
    while (isDigit(s.charCodeAt(j))) j++
  } else {
    if (c === 48) j++
    if (s.charCodeAt(j) !== 46) return 0
    j++
    if (!isDigit(s.charCodeAt(j))) return 0
    while (isDigit(s.charCodeAt(j))) j++
  }
  const e = s.charCodeAt(j)
  if (e === 69 || e === 101) {
    let k = j + 1
    const sign = s.charCodeAt(k)
    if (sign === 43 || sign === 45) k++
    if (isDigit(s.charCodeAt(k))) {
      while (isDigit(s.charCodeAt(k))) k++
      j = k
    }
  }
  return j - i
}

// Long comment: \/\*([^*]|\*+[^*/])*\*+\/
function matchLongComment(s: string, i: number): number {
  if (s.charCodeAt(i) !== 47 || s.charCodeAt(i + 1) !== 42) return 0
  const end = s.indexOf('*/', i + 2)
  return end < 0 ? 0 : end + 2 - i
}

export const INT64_MAX_DIGITS = '9223372036854775807'

/** `string2Int<int64_t>` on decimal digits: the value, or undefined on overflow. */
function parseIntLit(t: string): number | bigint | undefined {
  if (t.length < 16) return Number(t)
  const b = BigInt(t)
  if (b > 9223372036854775807n) return undefined
  return b <= 9007199254740991n ? Number(b) : b
}

/**
 * Process escapes of a double-quoted string body (lexer.l `unescapeStr`): `\n \r \t`, any other
 * escaped char stands for itself, and raw CR or CR LF becomes LF.
 */
export function unescapeStr(s: string): string {
  if (s.indexOf('\\') < 0 && s.indexOf('\r') < 0) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    let c = s[i]!
    if (c === '\\') {
      c = s[++i] ?? ''
      out += c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c
    } else if (c === '\r') {
      out += '\n'
      if (s[i + 1] === '\n') i++
    } else out += c
  }
  return out
}

export class Lexer {
  private pos = 0
  private stack: S[] = [S.INITIAL]
  /** Location of the last matched text (flex yylloc), and the stash for yyless(0). */
  private locBegin = 0
  private locEnd = 0
  private stashBegin = 0
  private stashEnd = 0

  constructor(private readonly src: string, private readonly posBase: number) {}

  private get state(): S { return this.stack[this.stack.length - 1]! }
  private push(s: S): void { this.stack.push(s) }
  private pop(): void { if (this.stack.length > 1) this.stack.pop() }

  /** flex YY_USER_ACTION: advance the location over `len` matched bytes. */
  private adjust(len: number): void {
    this.stashBegin = this.locBegin
    this.stashEnd = this.locEnd
    this.locBegin = this.locEnd
    this.locEnd += len
    this.pos += len
  }
  /** yyless(0) + unstash: give the matched text back. */
  private unmatch(len: number): void {
    this.pos -= len
    this.locBegin = this.stashBegin
    this.locEnd = this.stashEnd
  }

  private floatLit(text: string): Token {
    const f = Number(text)
    // C++ strtod sets ERANGE on overflow and on an inexact result below the smallest normal
    // double (any decimal literal that lands there, or underflows to zero, is inexact).
    const tiny = Math.abs(f) < 2.2250738585072014e-308 && /[1-9]/.test(text.replace(/[eE].*/, ''))
    if (!Number.isFinite(f) || tiny) throw new ParseError(`invalid float '${text}'`, this.posBase + this.locBegin)
    const t = this.tok(Tok.FLOAT_LIT, text)
    t.float = f
    return t
  }

  private tok(kind: number, text = ''): Token {
    return { kind, begin: this.locBegin, end: this.locEnd, text }
  }

  private nulError(s: string, begin: number): never {
    const shown = s.replace(/\0/g, '\xe2\x90\x80')
    throw new ParseError(`input string '${shown}' cannot be represented as Nix string because it contains null bytes`, this.posBase + begin)
  }

  next(): Token {
    for (;;) {
      const t = this.scan()
      if (t !== undefined) return t
    }
  }

  /** One flex rule application; undefined for rules that return no token (whitespace…). */
  private scan(): Token | undefined {
    switch (this.state) {
      case S.STRING: return this.scanString()
      case S.IND_STRING: return this.scanIndString()
      case S.INPATH: case S.INPATH_SLASH: return this.scanInPath()
      case S.PATH_START: return this.scanPathStart()
      default: return this.scanDefault()
    }
  }

  private scanDefault(): Token | undefined {
    const s = this.src
    const i = this.pos
    if (i >= s.length) return { kind: Tok.EOF, begin: this.locBegin, end: this.locEnd, text: '' }
    const c = s.charCodeAt(i)

    // Whitespace and comments (they never compete with longer matches that start the same way,
    // except '/' which may start a path: handled below).
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      let j = i + 1
      for (; j < s.length; j++) {
        const d = s.charCodeAt(j)
        if (d !== 32 && d !== 9 && d !== 10 && d !== 13) break
      }
      this.adjust(j - i)
      return undefined
    }
    if (c === 35) { // '#'
      let j = i + 1
      while (j < s.length) { const d = s.charCodeAt(j); if (d === 10 || d === 13) break; j++ }
      this.adjust(j - i)
      return undefined
    }

    // Fast path for identifiers, keywords and numbers: when the run of path characters that
    // starts here is not followed by '/' or ':', no PATH, URI or PATH_SEG rule can match, so
    // the longest match is the ID/keyword or INT/FLOAT one.
    if (isIdStart(c) || isDigit(c)) {
      let j = i + 1
      for (;;) {
        const d = s.charCodeAt(j)
        if (isPathChar(d) || d === 39) j++
        else break
      }
      const nx = s.charCodeAt(j)
      if (nx !== 47 && nx !== 58) {
        if (isIdStart(c)) {
          let k = i + 1
          while (k < s.length && isIdChar(s.charCodeAt(k))) k++
          const word = s.slice(i, k)
          this.adjust(k - i)
          const kw = keyword(word)
          return kw !== undefined ? this.tok(kw) : this.tok(Tok.ID, word)
        }
        let k = i + 1
        while (isDigit(s.charCodeAt(k))) k++
        const fl = matchFloat(s, i)
        if (fl <= k - i) {
          const text = s.slice(i, k)
          this.adjust(k - i)
          const n = parseIntLit(text)
          if (n === undefined) throw new ParseError(`invalid integer '${text}'`, this.posBase + this.locBegin)
          const t = this.tok(Tok.INT_LIT, text)
          t.int = n
          return t
        }
        const text = s.slice(i, i + fl)
        this.adjust(fl)
        return this.floatLit(text)
      }
    }

    // Fast path for punctuation: these characters start no PATH, HPATH, SPATH, URI, PATH_SEG,
    // number or comment, so the longest match is a two-character operator or the character.
    if (PUNCT[c] === 1) {
      const d = s.charCodeAt(i + 1)
      const op = d === 61 ? (c === 61 ? Tok.EQ : c === 33 ? Tok.NEQ : c === 62 ? Tok.GEQ : 0)
        : c === 38 && d === 38 ? Tok.AND : c === 124 && d === 124 ? Tok.OR : c === 124 && d === 62 ? Tok.PIPE_INTO : 0
      if (op !== 0) { this.adjust(2); return this.tok(op) }
      this.adjust(1)
      return this.tok(c)
    }
    // '+', '-' and '.' are path characters: only when neither a path character nor '/' follows
    // is the match one of `+`, `-`, `->`, `.` (`++`, `...` and `.5` continue with one).
    if (c === 43 || c === 45 || c === 46) {
      const d = s.charCodeAt(i + 1)
      if (!isPathChar(d) && d !== 47) {
        if (c === 45 && d === 62) { this.adjust(2); return this.tok(Tok.IMPL) }
        this.adjust(1)
        return this.tok(c)
      }
    }

    // Candidate rules in lexer.l order; pick the longest match, the earliest rule on ties.
    let bestLen = 0
    let bestRule = 0
    const cand = (rule: number, len: number): void => { if (len > bestLen) { bestLen = len; bestRule = rule } }

    // 1: keywords, 4: ID
    if (isIdStart(c)) {
      let j = i + 1
      while (j < s.length && isIdChar(s.charCodeAt(j))) j++
      const word = s.slice(i, j)
      if (keyword(word) !== undefined) cand(1, j - i)
      else cand(4, j - i)
    }
    // 2: ELLIPSIS
    if (c === 46 && s.startsWith('...', i)) cand(2, 3)
    // 3: two-char operators
    if (OPS2[s.slice(i, i + 2)] !== undefined) cand(3, 2)
    // 5: INT, 6: FLOAT
    if (isDigit(c)) {
      let j = i + 1
      while (isDigit(s.charCodeAt(j))) j++
      cand(5, j - i)
    }
    if (isDigit(c) || c === 46) cand(6, matchFloat(s, i))
    // 7: ${
    if (c === 36 && s.charCodeAt(i + 1) === 123) cand(7, 2)
    // 8: }, 9: {, 10: "
    if (c === 125) cand(8, 1)
    if (c === 123) cand(9, 1)
    if (c === 34) cand(10, 1)
    // 11: ''(\ *\n)?
    if (c === 39 && s.charCodeAt(i + 1) === 39) {
      let j = i + 2
      while (s.charCodeAt(j) === 32) j++
      cand(11, s.charCodeAt(j) === 10 ? j + 1 - i : 2)
    }
    // 12: {PATH_SEG}\$\{ | {HPATH_START}\$\{
    {
      const seg = matchPathSeg(s, i)
      if (seg > 0 && s.charCodeAt(i + seg) === 36 && s.charCodeAt(i + seg + 1) === 123) cand(12, seg + 2)
      if (c === 126 && s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 36 && s.charCodeAt(i + 3) === 123) cand(12, 4)
    }
    // 13: PATH, 14: HPATH, 15: SPATH, 16: URI
    cand(13, matchPath(s, i))
    if (c === 126) cand(14, matchHPath(s, i))
    if (c === 60) cand(15, matchSPath(s, i))
    cand(16, matchUri(s, i))
    // 17: long comment (only '/' can compete: with PATH, which cannot contain '*')
    if (c === 47) cand(17, matchLongComment(s, i))

    if (bestLen === 0) {
      // {ANY}: a single-character token (bytes outside the grammar become "invalid token").
      this.adjust(1)
      return this.tok(c)
    }

    const text = s.slice(i, i + bestLen)
    switch (bestRule) {
      case 1: this.adjust(bestLen); return this.tok(keyword(text)!)
      case 2: this.adjust(3); return this.tok(Tok.ELLIPSIS)
      case 3: this.adjust(2); return this.tok(OPS2[text]!)
      case 4: this.adjust(bestLen); return this.tok(Tok.ID, text)
      case 5: {
        this.adjust(bestLen)
        const n = parseIntLit(text)
        if (n === undefined) throw new ParseError(`invalid integer '${text}'`, this.posBase + this.locBegin)
        const t = this.tok(Tok.INT_LIT, text)
        t.int = n
        return t
      }
      case 6: {
        this.adjust(bestLen)
        return this.floatLit(text)
      }
      case 7: this.adjust(2); this.push(S.DEFAULT); return this.tok(Tok.DOLLAR_CURLY)
      case 8: this.adjust(1); if (this.state !== S.INITIAL) this.pop(); return this.tok(125)
      case 9: this.adjust(1); this.push(S.DEFAULT); return this.tok(123)
      case 10: this.adjust(1); this.push(S.STRING); return this.tok(34)
      case 11: this.adjust(bestLen); this.push(S.IND_STRING); return this.tok(Tok.IND_STRING_OPEN)
      case 12:
        // Matched, then given back: re-scan in PATH_START.
        this.adjust(bestLen)
        this.push(S.PATH_START)
        this.unmatch(bestLen)
        return undefined
      case 13: case 14:
        this.adjust(bestLen)
        this.push(text.endsWith('/') ? S.INPATH_SLASH : S.INPATH)
        return this.tok(bestRule === 13 ? Tok.PATH : Tok.HPATH, text)
      case 15: this.adjust(bestLen); return this.tok(Tok.SPATH, text)
      case 16: this.adjust(bestLen); return this.tok(Tok.URI, text)
      case 17: this.adjust(bestLen); return undefined
    }
    throw new Error('lexer: unreachable')
  }

  private scanPathStart(): Token | undefined {
    const s = this.src
    const i = this.pos
    if (s.charCodeAt(i) === 126 && s.charCodeAt(i + 1) === 47) {
      // {PATH_SEG} can also match "~/"? No: '~' is not a PATH_CHAR.
      this.adjust(2)
      this.pop()
      this.push(S.INPATH_SLASH)
      return this.tok(Tok.HPATH, '~/')
    }
    const n = matchPathSeg(s, i)
    if (n === 0) throw new Error('lexer: PATH_START without a path segment')
    this.adjust(n)
    this.pop()
    this.push(S.INPATH_SLASH)
    return this.tok(Tok.PATH, s.slice(i, i + n))
  }

  private scanInPath(): Token | undefined {
    const s = this.src
    const i = this.pos
    if (s.charCodeAt(i) === 36 && s.charCodeAt(i + 1) === 123) {
      this.adjust(2)
      this.pop()
      this.push(S.INPATH)
      this.push(S.DEFAULT)
      return this.tok(Tok.DOLLAR_CURLY)
    }
    const n = Math.max(matchPath(s, i), matchPathSeg(s, i), matchPathChars(s, i))
    if (n > 0) {
      this.adjust(n)
      const text = s.slice(i, i + n)
      this.pop()
      this.push(text.endsWith('/') ? S.INPATH_SLASH : S.INPATH)
      return this.tok(Tok.STR, text)
    }
    if (this.state === S.INPATH_SLASH) {
      if (i < s.length) this.adjust(1)
      throw new ParseError('path has a trailing slash', this.posBase + this.locBegin)
    }
    // End of the path: re-scan this char in the enclosing state.
    this.pop()
    if (i < s.length) {
      this.adjust(1)
      this.unmatch(1)
    } else {
      // At EOF no rule matched text, and the unstash reverts to the location before the last match.
      this.locBegin = this.stashBegin
      this.locEnd = this.stashEnd
    }
    return this.tok(Tok.PATH_END)
  }

  private scanString(): Token | undefined {
    const s = this.src
    const i = this.pos
    const n = s.length
    if (i >= n) return { kind: Tok.EOF, begin: this.locBegin, end: this.locEnd, text: '' }
    const c = s.charCodeAt(i)
    if (c === 36 && s.charCodeAt(i + 1) === 123) {
      this.adjust(2)
      this.push(S.DEFAULT)
      return this.tok(Tok.DOLLAR_CURLY)
    }
    if (c === 34) {
      this.adjust(1)
      this.pop()
      return this.tok(34)
    }
    // ([^\$\"\\]|\$[^\{\"\\]|\\{ANY}|\$\\{ANY})* optionally followed by \$ when a '"' follows.
    let j = i
    let hasNul = false
    while (j < n) {
      const d = s.charCodeAt(j)
      if (d === 34) break
      if (d === 92) { if (j + 1 < n) { if (s.charCodeAt(j + 1) === 0) hasNul = true; j += 2; continue } break }
      if (d === 36) {
        const e = s.charCodeAt(j + 1)
        if (j + 1 >= n || e === 123) break
        if (e === 34) { j += 1; break }
        if (e === 92) { if (j + 2 < n) { if (s.charCodeAt(j + 2) === 0) hasNul = true; j += 3; continue } break }
        if (e === 0) hasNul = true
        j += 2
        continue
      }
      if (d === 0) hasNul = true
      j++
    }
    if (j === i) {
      // <STRING>\$|\\|\$\\ at EOF: leave the error to the parser.
      this.adjust(n - i)
      return this.tok(Tok.EOF)
    }
    this.adjust(j - i)
    const text = unescapeStr(s.slice(i, j))
    if (hasNul) this.nulError(text, this.locBegin)
    return this.tok(Tok.STR, text)
  }

  private scanIndString(): Token | undefined {
    const s = this.src
    const i = this.pos
    const n = s.length
    if (i >= n) return { kind: Tok.EOF, begin: this.locBegin, end: this.locEnd, text: '' }
    const c = s.charCodeAt(i)
    // Bulk rule: ([^\$\']|\$[^\{\']|\'[^\'\$])+
    let j = i
    while (j < n) {
      const d = s.charCodeAt(j)
      if (d === 36) {
        const e = s.charCodeAt(j + 1)
        if (j + 1 >= n || e === 123 || e === 39) break
        j += 2
      } else if (d === 39) {
        const e = s.charCodeAt(j + 1)
        if (j + 1 >= n || e === 39 || e === 36) break
        j += 2
      } else j++
    }
    const bulk = j - i
    // The special rules are at most 3 chars; the bulk rule wins when longer.
    let special = 0
    let kind: 'dollar' | 'quotes' | 'escape' | 'interp' | 'close' | 'quote' | undefined
    if (c === 39 && s.charCodeAt(i + 1) === 39) {
      const e = s.charCodeAt(i + 2)
      if (i + 2 < n && e === 36) { special = 3; kind = 'dollar' }
      else if (i + 2 < n && e === 39) { special = 3; kind = 'quotes' }
      else if (i + 2 < n && e === 92 && i + 3 < n) { special = 4; kind = 'escape' }
      else { special = 2; kind = 'close' }
    } else if (c === 36) {
      if (s.charCodeAt(i + 1) === 123 && i + 1 < n) { special = 2; kind = 'interp' }
      else { special = 1; kind = 'dollar' }
    } else if (c === 39) { special = 1; kind = 'quote' }
    if (bulk >= special && bulk > 0) {
      this.adjust(bulk)
      const text = s.slice(i, j)
      if (text.indexOf('\0') >= 0) this.nulError(text, this.locBegin)
      const t = this.tok(Tok.IND_STR, text)
      t.hasIndentation = true
      return t
    }
    this.adjust(special)
    switch (kind) {
      case 'dollar': { const t = this.tok(Tok.IND_STR, '$'); t.hasIndentation = false; return t }
      case 'quotes': { const t = this.tok(Tok.IND_STR, "''"); t.hasIndentation = false; return t }
      case 'escape': {
        const text = unescapeStr(s.slice(i + 2, i + 4))
        if (text.indexOf('\0') >= 0) this.nulError(text, this.locBegin)
        const t = this.tok(Tok.IND_STR, text)
        t.hasIndentation = false
        return t
      }
      case 'interp': this.push(S.DEFAULT); return this.tok(Tok.DOLLAR_CURLY)
      case 'close': this.pop(); return this.tok(Tok.IND_STRING_CLOSE)
      case 'quote': { const t = this.tok(Tok.IND_STR, "'"); t.hasIndentation = false; return t }
    }
    throw new Error('lexer: unreachable (ind string)')
  }
}
