/**
 * POSIX extended regular expressions compiled the way libstdc++'s `std::regex(p,
 * std::regex::extended)` compiles them (bits/regex_scanner.tcc, regex_compiler.tcc,
 * regex_automaton.tcc), because C++ Nix's `match`/`split` results depend on the exact
 * automaton: which states exist, in which order branches are tried, and which patterns are
 * rejected (C++ Nix is built with __STRICT_ANSI__, so escaping an ordinary character is an
 * error) or are too large (more than 100000 states).
 *
 * The parser is a recursive descent with a one-token lookahead scanner, and it builds the NFA
 * with the same construction steps, state by state (dummy states included, then bypassed), so
 * state counts and error precedence agree with C++. Alongside, it builds a small syntax tree,
 * used only to decide whether a JavaScript RegExp can stand in (js-translate.ts).
 *
 * Characters are bytes (a pattern is a binary string: one char per byte). libstdc++ works on
 * `char`, which is signed: bracket ranges compare bytes ≥ 0x80 as negative numbers.
 */
import { InvalidRegexError, RegexTooLargeError, type RegexErrorKind } from './errors.js'
import { isCtype, lookupClassName, lookupCollateName, toLowerByte } from './ctype.js'

/** `_GLIBCXX_REGEX_STATE_LIMIT`. */
export const STATE_LIMIT = 100000

/** NFA opcodes (libstdc++ `_Opcode`, minus the ones ERE never produces). */
export const enum Op {
  Repeat = 1,
  SubexprBegin = 2,
  SubexprEnd = 3,
  LineBegin = 4,
  LineEnd = 5,
  Match = 6,
  Accept = 7,
  Alternative = 8,
  Dummy = 9,
}

/** The compiled automaton: parallel arrays indexed by state id. */
export interface Nfa {
  readonly op: Uint8Array
  readonly next: Int32Array
  /** The branch tried first (Alternative: left operand; Repeat: the body). */
  readonly alt: Int32Array
  /** SubexprBegin/End: the group number; Match: the offset of its 256-byte set in `sets`. */
  readonly arg: Int32Array
  /** Membership tables, 256 bytes each (1 = the byte matches). */
  readonly sets: Uint8Array
  readonly start: number
  /** Number of groups including group 0 (libstdc++ `_M_sub_count`). */
  readonly groups: number
}

/** The syntax tree (for analysis only; execution uses the NFA). */
export type Node =
  | { kind: 'set'; set: Uint8Array }
  | { kind: 'bol' }
  | { kind: 'eol' }
  | { kind: 'empty' }
  | { kind: 'group'; index: number; body: Node }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; branches: Node[] }
  | { kind: 'repeat'; min: number; max: number; body: Node }

export interface Compiled {
  readonly nfa: Nfa
  readonly ast: Node
}

// Scanner tokens (libstdc++ `_ScannerBase::_TokenT`, the ones ERE produces).
const enum Tok {
  Eof, Ord, AnyChar, LineBegin, LineEnd, Closure0, Closure1, Opt, Or,
  SubexprBegin, SubexprEnd, BracketBegin, BracketNegBegin, BracketEnd, BracketDash,
  CollSymbol, EquivClassName, CharClassName, IntervalBegin, IntervalEnd, Comma, DupCount,
}

const enum ScanState { Normal, InBracket, InBrace }

/** `_M_extended_spec_char`: the only characters that are special outside brackets. */
const SPECIAL = '.[\\()*+?{|^$'

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
/** libstdc++ compares `char`, which is signed on the platforms C++ Nix ships for. */
const signed = (b: number): number => (b << 24) >> 24

class Fail {
  constructor(readonly kind: RegexErrorKind, readonly detail: string) {}
}
const fail = (kind: RegexErrorKind, detail: string): never => { throw new Fail(kind, detail) }

/** A one-token-lookahead scanner over the pattern's bytes (libstdc++ `_Scanner`). */
class Scanner {
  private pos = 0
  private state = ScanState.Normal
  private atBracketStart = false
  token = Tok.Eof
  value = ''

  constructor(private readonly p: string) { this.advance() }

  advance(): void {
    if (this.pos === this.p.length) { this.token = Tok.Eof; return }
    if (this.state === ScanState.Normal) this.scanNormal()
    else if (this.state === ScanState.InBracket) this.scanInBracket()
    else this.scanInBrace()
  }

  private scanNormal(): void {
    const p = this.p
    const c = p[this.pos++]!
    if (c === '\0') fail('null', 'NUL character in pattern')
    if (!SPECIAL.includes(c)) { this.token = Tok.Ord; this.value = c; return }
    switch (c) {
      case '\\': {
        if (this.pos === p.length) fail('escape', 'invalid escape at end of regular expression')
        const e = p[this.pos]!
        // Under __STRICT_ANSI__ only the special characters may be escaped.
        if (e === '\0' || !SPECIAL.includes(e)) fail('escape', `invalid escape '\\${e}'`)
        this.pos++
        this.token = Tok.Ord; this.value = e
        return
      }
      case '(': this.token = Tok.SubexprBegin; return
      case ')': this.token = Tok.SubexprEnd; return
      case '[':
        this.state = ScanState.InBracket
        this.atBracketStart = true
        if (this.pos < p.length && p[this.pos] === '^') { this.token = Tok.BracketNegBegin; this.pos++ }
        else this.token = Tok.BracketBegin
        return
      case '{': this.state = ScanState.InBrace; this.token = Tok.IntervalBegin; return
      case '^': this.token = Tok.LineBegin; return
      case '$': this.token = Tok.LineEnd; return
      case '.': this.token = Tok.AnyChar; return
      case '*': this.token = Tok.Closure0; return
      case '+': this.token = Tok.Closure1; return
      case '?': this.token = Tok.Opt; return
      case '|': this.token = Tok.Or; return
    }
  }

  private scanInBracket(): void {
    const p = this.p
    if (this.pos === p.length) fail('brack', 'unterminated bracket expression')
    const c = p[this.pos++]!
    if (c === '-') this.token = Tok.BracketDash
    else if (c === '[') {
      if (this.pos === p.length) fail('brack', "incomplete '[[' in bracket expression")
      const d = p[this.pos]!
      if (d === '.' || d === ':' || d === '=') {
        this.pos++
        this.token = d === '.' ? Tok.CollSymbol : d === ':' ? Tok.CharClassName : Tok.EquivClassName
        this.eatClass(d)
      } else { this.token = Tok.Ord; this.value = c }
    } else if (c === ']' && !this.atBracketStart) {
      this.token = Tok.BracketEnd
      this.state = ScanState.Normal
    } else { this.token = Tok.Ord; this.value = c }
    this.atBracketStart = false
  }

  /** `[:name:]`, `[.name.]`, `[=name=]`: the name up to `delim`, which must be followed by ']'. */
  private eatClass(delim: string): void {
    const p = this.p
    const from = this.pos
    while (this.pos < p.length && p[this.pos] !== delim) this.pos++
    this.value = p.slice(from, this.pos)
    if (this.pos === p.length || p[this.pos++] !== delim || this.pos === p.length || p[this.pos++] !== ']') {
      fail(delim === ':' ? 'ctype' : 'collate', `unterminated '[${delim}' in bracket expression`)
    }
  }

  private scanInBrace(): void {
    const p = this.p
    if (this.pos === p.length) fail('brace', 'unterminated interval')
    const c = p[this.pos++]!
    if (isDigit(c.charCodeAt(0))) {
      const from = this.pos - 1
      while (this.pos < p.length && isDigit(p.charCodeAt(this.pos))) this.pos++
      this.token = Tok.DupCount; this.value = p.slice(from, this.pos)
    } else if (c === ',') this.token = Tok.Comma
    else if (c === '}') { this.state = ScanState.Normal; this.token = Tok.IntervalEnd }
    else fail('badbrace', `unexpected '${c}' in interval`)
  }
}

interface Seq { start: number; end: number }

/** The NFA under construction (libstdc++ `_NFA` + `_StateSeq`). */
class Builder {
  op: number[] = []
  next: number[] = []
  alt: number[] = []
  arg: number[] = []
  setIds = new Map<string, number>()
  sets: Uint8Array[] = []
  groups = 0
  private parenStack: number[] = []

  insert(op: Op, next = -1, alt = -1, arg = -1): number {
    this.op.push(op); this.next.push(next); this.alt.push(alt); this.arg.push(arg)
    if (this.op.length > STATE_LIMIT) throw new Fail('space', 'too many NFA states')
    return this.op.length - 1
  }

  subexprBegin(): number {
    const id = this.groups++
    this.parenStack.push(id)
    return this.insert(Op.SubexprBegin, -1, -1, id)
  }
  subexprEnd(): number { return this.insert(Op.SubexprEnd, -1, -1, this.parenStack.pop()!) }
  dummy(): number { return this.insert(Op.Dummy) }
  repeat(next: number, alt: number): number { return this.insert(Op.Repeat, next, alt) }
  alternative(next: number, alt: number): number { return this.insert(Op.Alternative, next, alt) }

  match(set: Uint8Array): number {
    let key = ''
    for (let i = 0; i < 256; i += 16) key += String.fromCharCode(...set.subarray(i, i + 16))
    let id = this.setIds.get(key)
    if (id === undefined) { id = this.sets.length; this.sets.push(set); this.setIds.set(key, id) }
    return this.insert(Op.Match, -1, -1, id * 256)
  }

  append(s: Seq, id: number): void { this.next[s.end] = id; s.end = id }
  appendSeq(s: Seq, t: Seq): void { this.next[s.end] = t.start; s.end = t.end }

  private hasAlt(id: number): boolean { const o = this.op[id]; return o === Op.Alternative || o === Op.Repeat }

  /** `_StateSeq::_M_clone`, step for step (its state count is observable through the limit). */
  clone(s: Seq): Seq {
    const map = new Map<number, number>()
    const stack = [s.start]
    while (stack.length > 0) {
      const u = stack.pop()!
      const id = this.insert(this.op[u]!, this.next[u]!, this.alt[u]!, this.arg[u]!)
      map.set(u, id)
      const a = this.alt[u]!
      if (this.hasAlt(u) && a !== -1 && !map.has(a)) stack.push(a)
      if (u === s.end) continue
      const n = this.next[u]!
      if (n !== -1 && !map.has(n)) stack.push(n)
    }
    for (const v of map.values()) {
      const n = this.next[v]!
      if (n !== -1) this.next[v] = map.get(n) ?? n
      const a = this.alt[v]!
      if (this.hasAlt(v) && a !== -1) this.alt[v] = map.get(a) ?? a
    }
    return { start: map.get(s.start)!, end: map.get(s.end)! }
  }

  /** `_M_eliminate_dummy`: route every edge past dummy states. */
  finish(start: number): Nfa {
    const n = this.op.length
    for (let i = 0; i < n; i++) {
      while (this.next[i]! >= 0 && this.op[this.next[i]!] === Op.Dummy) this.next[i] = this.next[this.next[i]!]!
      if (this.hasAlt(i)) while (this.alt[i]! >= 0 && this.op[this.alt[i]!] === Op.Dummy) this.alt[i] = this.next[this.alt[i]!]!
    }
    const sets = new Uint8Array(this.sets.length * 256)
    this.sets.forEach((s, i) => sets.set(s, i * 256))
    return {
      op: Uint8Array.from(this.op), next: Int32Array.from(this.next), alt: Int32Array.from(this.alt),
      arg: Int32Array.from(this.arg), sets, start, groups: this.groups,
    }
  }
}

/** A bracket expression being collected (libstdc++ `_BracketMatcher`). */
class Bracket {
  chars: number[] = []
  ranges: Array<[number, number]> = []
  classMask = 0
  equiv: number[] = []
  constructor(readonly negated: boolean) {}

  makeRange(l: number, r: number): void {
    if (signed(l) > signed(r)) fail('range', 'invalid range in bracket expression')
    this.ranges.push([signed(l), signed(r)])
  }

  toSet(): Uint8Array {
    const set = new Uint8Array(256)
    for (let b = 0; b < 256; b++) {
      const s = signed(b)
      let m = this.chars.includes(b) || this.ranges.some(([lo, hi]) => lo <= s && s <= hi) ||
        isCtype(b, this.classMask) || this.equiv.includes(toLowerByte(b))
      if (this.negated) m = !m
      set[b] = m ? 1 : 0
    }
    return set
  }
}

const enum Last { None, Char, Class }

class Compiler {
  private readonly sc: Scanner
  private readonly b = new Builder()
  private readonly stack: Array<{ seq: Seq; node: Node }> = []
  private value = ''

  constructor(pattern: string) { this.sc = new Scanner(pattern) }

  compile(): Compiled {
    const b = this.b
    const r: Seq = { start: 0, end: 0 }
    b.append(r, b.subexprBegin())
    this.disjunction()
    if (!this.matchToken(Tok.Eof)) fail('paren', "unmatched ')'")
    const body = this.pop()
    b.appendSeq(r, body.seq)
    b.append(r, b.subexprEnd())
    b.append(r, b.insert(Op.Accept))
    return { nfa: b.finish(0), ast: body.node }
  }

  private matchToken(t: Tok): boolean {
    if (this.sc.token !== t) return false
    this.value = this.sc.value
    this.sc.advance()
    return true
  }

  private pop(): { seq: Seq; node: Node } { return this.stack.pop()! }
  private push(seq: Seq, node: Node): void { this.stack.push({ seq, node }) }

  private disjunction(): void {
    const b = this.b
    this.alternative()
    while (this.matchToken(Tok.Or)) {
      const alt1 = this.pop()
      this.alternative()
      const alt2 = this.pop()
      const end = b.dummy()
      b.append(alt1.seq, end)
      b.append(alt2.seq, end)
      // alternative() never yields an 'alt' node, so one here is this loop's own: flatten it
      const branches = alt1.node.kind === 'alt' ? [...alt1.node.branches, alt2.node] : [alt1.node, alt2.node]
      this.push({ start: b.alternative(alt2.seq.start, alt1.seq.start), end }, { kind: 'alt', branches })
    }
  }

  /** libstdc++ recurses once per term; the same states are inserted here in a loop. */
  private alternative(): void {
    const terms: Array<{ seq: Seq; node: Node }> = []
    while (this.term()) terms.push(this.pop())
    const dummy = this.b.dummy()
    if (terms.length === 0) { this.push({ start: dummy, end: dummy }, { kind: 'empty' }); return }
    const seq: Seq = { start: terms[0]!.seq.start, end: terms[0]!.seq.end }
    for (let i = 1; i < terms.length; i++) this.b.appendSeq(seq, terms[i]!.seq)
    this.b.append(seq, dummy)
    this.push(seq, terms.length === 1 ? terms[0]!.node : { kind: 'seq', items: terms.map((t) => t.node) })
  }

  private term(): boolean {
    if (this.assertion()) return true
    if (this.atom()) {
      while (this.quantifier());
      return true
    }
    return false
  }

  private assertion(): boolean {
    if (this.matchToken(Tok.LineBegin)) { const s = this.b.insert(Op.LineBegin); this.push({ start: s, end: s }, { kind: 'bol' }) }
    else if (this.matchToken(Tok.LineEnd)) { const s = this.b.insert(Op.LineEnd); this.push({ start: s, end: s }, { kind: 'eol' }) }
    else return false
    return true
  }

  private quantifier(): boolean {
    const b = this.b
    if (this.matchToken(Tok.Closure0)) {
      const e = this.pop()
      const r = b.repeat(-1, e.seq.start)
      b.append(e.seq, r)
      this.push({ start: r, end: r }, { kind: 'repeat', min: 0, max: Infinity, body: e.node })
    } else if (this.matchToken(Tok.Closure1)) {
      const e = this.pop()
      b.append(e.seq, b.repeat(-1, e.seq.start))
      this.push(e.seq, { kind: 'repeat', min: 1, max: Infinity, body: e.node })
    } else if (this.matchToken(Tok.Opt)) {
      const e = this.pop()
      const end = b.dummy()
      const r: Seq = { start: b.repeat(-1, e.seq.start), end: 0 }
      r.end = r.start
      b.append(e.seq, end)
      b.append(r, end)
      this.push(r, { kind: 'repeat', min: 0, max: 1, body: e.node })
    } else if (this.matchToken(Tok.IntervalBegin)) {
      if (this.stack.length === 0) fail('badrepeat', 'nothing to repeat')
      if (!this.matchToken(Tok.DupCount)) fail('badbrace', 'interval without a count')
      const r = this.pop()
      const ed = b.dummy()
      const e: Seq = { start: ed, end: ed }
      const min = this.intValue()
      let infinite = false
      let n = 0
      if (this.matchToken(Tok.Comma)) {
        if (this.matchToken(Tok.DupCount)) n = this.intValue() - min
        else infinite = true
      }
      if (!this.matchToken(Tok.IntervalEnd)) fail('brace', "expected '}'")
      for (let i = 0; i < min; i++) b.appendSeq(e, b.clone(r.seq))
      if (infinite) {
        const tmp = b.clone(r.seq)
        const s = b.repeat(-1, tmp.start)
        b.append(tmp, s)
        b.append(e, s)
      } else {
        if (n < 0) fail('badbrace', 'interval maximum below minimum')
        const end = b.dummy()
        const optional: number[] = []
        for (let i = 0; i < n; i++) {
          const tmp = b.clone(r.seq)
          const a = b.repeat(tmp.start, end)
          optional.push(a)
          b.appendSeq(e, { start: a, end: tmp.end })
        }
        b.append(e, end)
        for (const a of optional) { const t = b.next[a]!; b.next[a] = b.alt[a]!; b.alt[a] = t }
      }
      this.push(e, { kind: 'repeat', min, max: infinite ? Infinity : min + n, body: r.node })
    } else return false
    return true
  }

  /** libstdc++ (since GCC 13) rejects a count that overflows `int`. */
  private intValue(): number {
    let v = 0
    for (const ch of this.value) {
      v = v * 10 + (ch.charCodeAt(0) - 0x30)
      if (v > 0x7fffffff) fail('backref', 'interval count overflows int')
    }
    return v
  }

  private atom(): boolean {
    const b = this.b
    if (this.matchToken(Tok.AnyChar)) {
      const set = new Uint8Array(256).fill(1)
      set[0] = 0 // POSIX '.' matches anything but NUL
      const s = b.match(set)
      this.push({ start: s, end: s }, { kind: 'set', set })
    } else if (this.matchToken(Tok.Ord)) {
      const set = new Uint8Array(256)
      set[this.value.charCodeAt(0)] = 1
      const s = b.match(set)
      this.push({ start: s, end: s }, { kind: 'set', set })
    } else if (this.matchToken(Tok.SubexprBegin)) {
      const begin = b.subexprBegin()
      const index = b.arg[begin]!
      const r: Seq = { start: begin, end: begin }
      this.disjunction()
      if (!this.matchToken(Tok.SubexprEnd)) fail('paren', "unmatched '('")
      const body = this.pop()
      b.appendSeq(r, body.seq)
      b.append(r, b.subexprEnd())
      this.push(r, { kind: 'group', index, body: body.node })
    } else return this.bracketExpression()
    return true
  }

  private bracketExpression(): boolean {
    const neg = this.matchToken(Tok.BracketNegBegin)
    if (!neg && !this.matchToken(Tok.BracketBegin)) return false
    const m = new Bracket(neg)
    const last = { type: Last.None, ch: 0 }
    if (this.matchToken(Tok.Ord)) { last.type = Last.Char; last.ch = this.value.charCodeAt(0) }
    else if (this.matchToken(Tok.BracketDash)) { last.type = Last.Char; last.ch = 0x2d }
    while (this.expressionTerm(last, m));
    if (last.type === Last.Char) m.chars.push(last.ch)
    const set = m.toSet()
    const s = this.b.match(set)
    this.push({ start: s, end: s }, { kind: 'set', set })
    return true
  }

  private expressionTerm(last: { type: Last; ch: number }, m: Bracket): boolean {
    if (this.matchToken(Tok.BracketEnd)) return false
    const pushChar = (ch: number): void => {
      if (last.type === Last.Char) m.chars.push(last.ch)
      last.type = Last.Char; last.ch = ch
    }
    const pushClass = (): void => {
      if (last.type === Last.Char) m.chars.push(last.ch)
      last.type = Last.Class
    }
    if (this.matchToken(Tok.CollSymbol)) {
      const c = lookupCollateName(this.value)
      if (c < 0) fail('collate', 'invalid collating element')
      m.chars.push(c)
      pushChar(c)
    } else if (this.matchToken(Tok.EquivClassName)) {
      pushClass()
      const c = lookupCollateName(this.value)
      if (c < 0) fail('collate', 'invalid equivalence class')
      m.equiv.push(toLowerByte(c))
    } else if (this.matchToken(Tok.CharClassName)) {
      pushClass()
      const mask = lookupClassName(this.value)
      if (mask === 0) fail('collate', 'invalid character class')
      m.classMask |= mask
    } else if (this.matchToken(Tok.Ord)) {
      pushChar(this.value.charCodeAt(0))
    } else if (this.matchToken(Tok.BracketDash)) {
      if (this.matchToken(Tok.BracketEnd)) { pushChar(0x2d); return false }
      if (last.type === Last.Class) fail('range', "invalid start of '[x-x]' range")
      if (last.type === Last.Char) {
        if (this.matchToken(Tok.Ord)) m.makeRange(last.ch, this.value.charCodeAt(0))
        else if (this.matchToken(Tok.BracketDash)) m.makeRange(last.ch, 0x2d)
        else fail('range', "invalid end of '[x-x]' range")
        last.type = Last.None
      } else fail('range', "invalid location of '-' within '[...]'")
    } else fail('brack', "unexpected character within '[...]'")
    return true
  }
}

/**
 * Compile an ERE, or throw `InvalidRegexError` / `RegexTooLargeError` exactly where libstdc++
 * throws `regex_error` (error_space being the latter).
 */
export function compileEre(pattern: string): Compiled {
  try {
    return new Compiler(pattern).compile()
  } catch (e) {
    if (e instanceof Fail) {
      if (e.kind === 'space') throw new RegexTooLargeError(pattern)
      throw new InvalidRegexError(pattern, e.kind, e.detail)
    }
    throw e
  }
}
