/**
 * The table-driven LALR(1) parser (Bison's lalr1.cc loop over the tables in tables.ts) and the
 * semantic actions of C++ Nix's parser.y / parser-state.hh: attribute-path merging, duplicate
 * checks, indentation stripping, path literal resolution and the lint diagnostics.
 */
import {
  type AttrDef, type AttrName, type Expr, type ExprAttrs, type ExprCall, type ExprLambda, type Formal,
  mkAttrs, mkVar, setName,
} from '../ast.js'
import { ParseError } from '../errors.js'
import { Lexer, Tok, type Token } from '../lexer.js'
import { type Origin, type PosIdx, type PosTable, noPos, resolveOffset, showPos } from '../pos.js'
import { showAttrPath } from '../show.js'
import type { SymbolTable } from '../symbols.js'
import { ACCEPT, TERMINALS } from './grammar.js'
import type { Tables } from './lalr.js'
import { TABLES } from './tables.js'

export type LintLevel = 'ignore' | 'warn' | 'fatal'

export interface ParseOptions {
  /** Directory relative path literals resolve against. */
  basePath: string
  /** `$HOME`, for `~/…` paths. */
  home: string
  pureEval?: boolean
  lintUrlLiterals?: LintLevel
  lintShortPathLiterals?: LintLevel
  lintAbsolutePathLiterals?: LintLevel
  experimentalFeatures?: ReadonlySet<string>
  /** Receives warnings (lint diagnostics) as a message and position. */
  warn?: (msg: string, pos: PosIdx) => void
  /** Receives plain warnings (printed as `warning: msg`). */
  rawWarn?: (msg: string) => void
  /** Identifiers are interned here in order of appearance. */
  symbols: SymbolTable
}

// ---- decoded tables -------------------------------------------------------------------------

const NONE = 0x7fffffff

interface Decoded {
  nTerms: number
  nNonterms: number
  termOf: Map<number, number>
  action: Int32Array
  defaults: Int32Array
  goto: Int32Array
  prodLhs: Int32Array
  prodLen: Int32Array
  prodAction: string[]
  /** States whose only action is the default reduction (Bison reads no lookahead there). */
  rowEmpty: Uint8Array
}

let decoded: Decoded | undefined
function tables(): Decoded {
  if (decoded) return decoded
  const t = JSON.parse(TABLES) as Tables
  const nTerms = t.terminals.length
  const nNonterms = t.nonterminals.length
  const nStates = t.actions.length
  const action = new Int32Array(nStates * nTerms).fill(NONE)
  t.actions.forEach((list, s) => { for (const [term, a] of list) action[s * nTerms + term] = a })
  const goto = new Int32Array(nStates * nNonterms).fill(-1)
  t.gotos.forEach((list, s) => { for (const [nt, target] of list) goto[s * nNonterms + nt] = target })
  decoded = {
    nTerms, nNonterms,
    termOf: new Map(t.terminals.map((c, i) => [c, i])),
    action, defaults: Int32Array.from(t.defaults), goto,
    prodLhs: Int32Array.from(t.prods.map(p => p[0])),
    prodLen: Int32Array.from(t.prods.map(p => p[1])),
    prodAction: t.prods.map(p => p[2]),
    rowEmpty: Uint8Array.from(t.actions.map(l => (l.length === 0 ? 1 : 0))),
  }
  return decoded
}

// ---- semantic values ------------------------------------------------------------------------

/** parser-state.hh ToBeStringyExpr: a static string, or an expression. */
type Stringy = { s: string } | { e: Expr }
interface IndPart { pos: PosIdx; str?: { text: string; hasIndentation: boolean }; e?: Expr }
interface FormalSet { formals: Formal[]; ellipsis: boolean }

const stringyToExpr = (x: Stringy): Expr => ('s' in x ? { kind: 'string', value: x.s } : x.e)
/** ToBeStringyExpr::visit: a string expression counts as a static string. */
const stringyStatic = (x: Stringy): string | undefined => ('s' in x ? x.s : x.e.kind === 'string' ? x.e.value : undefined)

// ---- paths ----------------------------------------------------------------------------------

/** C++ `canonPath` without symlink resolution: absolute, no `.`/`..`/empty segments, no trailing `/`. */
export function canonPath(p: string): string {
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') { out.pop(); continue }
    out.push(seg)
  }
  return '/' + out.join('/')
}

export function absPath(p: string, base: string): string {
  return canonPath(p.startsWith('/') ? p : `${base}/${p}`)
}

// ---- the parser -----------------------------------------------------------------------------

class ParserState {
  constructor(
    readonly positions: PosTable,
    readonly origin: Origin,
    readonly opts: ParseOptions,
  ) {}

  at(offset: number): PosIdx { return this.origin.base + offset }

  showPosIdx(p: PosIdx): string {
    return showPos(resolveOffset(this.origin, p - this.origin.base))
  }

  dupAttrPath(path: AttrName[], pos: PosIdx, prevPos: PosIdx): never {
    throw new ParseError(`attribute '${showAttrPath(path)}' already defined at ${this.showAny(prevPos)}`, pos)
  }

  dupAttr(name: string, pos: PosIdx, prevPos: PosIdx): never {
    throw new ParseError(`attribute '${name}' already defined at ${this.showAny(prevPos)}`, pos)
  }

  private showAny(p: PosIdx): string {
    const r = this.positions.resolve(p)
    return r ? showPos(r) : '\xc2\xabnone\xc2\xbb'
  }

  addAttr(attrs: ExprAttrs, path: AttrName[], pos: PosIdx, e: Expr): void {
    let i = 0
    for (; i + 1 < path.length; i++) {
      const a = path[i]!
      if (a.name !== undefined) {
        const j = attrs.attrs.get(a.name)
        if (j !== undefined) {
          if (j.kind !== 'inherited' && j.e.kind === 'attrs') attrs = j.e
          else this.dupAttrPath(path, pos, j.pos)
        } else {
          const nested = mkAttrs()
          attrs.attrs.set(a.name, { kind: 'plain', e: nested, pos, displ: 0 })
          attrs = nested
        }
      } else {
        const nested = mkAttrs()
        attrs.dynamic.push({ nameExpr: a.expr, valueExpr: nested, pos })
        attrs = nested
      }
    }
    const last = path[i]!
    if (last.name !== undefined) this.addAttrDef(attrs, path, last.name, { kind: 'plain', e, pos, displ: 0 })
    else attrs.dynamic.push({ nameExpr: last.expr, valueExpr: e, pos })
  }

  /** `path` already ends with `name`; it is used for error messages. */
  addAttrDef(attrs: ExprAttrs, path: AttrName[], name: string, def: AttrDef): void {
    const j = attrs.attrs.get(name)
    if (j === undefined) {
      attrs.attrs.set(name, def)
      setName(def.e, name)
      return
    }
    const ae = def.e.kind === 'attrs' ? def.e : undefined
    const jAttrs = j.e.kind === 'attrs' ? j.e : undefined
    if (!ae || !jAttrs) this.dupAttrPath(path, def.pos, j.pos)
    // Merge `ae` into `jAttrs` (any `rec` of ae is dropped: NixOS/nix#9020, reproduced).
    if (ae.inheritFrom && !jAttrs.inheritFrom) jAttrs.inheritFrom = []
    const offset = jAttrs.inheritFrom?.length ?? 0
    for (const [n, ad] of ae.attrs) {
      if (ad.kind === 'inheritedFrom' && ad.e.kind === 'select' && ad.e.e.kind === 'inheritFrom') ad.e.e.displ += offset
      path.push({ name: n })
      this.addAttrDef(jAttrs, path, n, ad)
      path.pop()
    }
    ae.attrs.clear()
    jAttrs.dynamic.push(...ae.dynamic)
    ae.dynamic = []
    if (ae.inheritFrom) {
      jAttrs.inheritFrom!.push(...ae.inheritFrom)
      ae.inheritFrom = undefined
    }
  }

  validateFormals(fs: FormalSet, pos: PosIdx = noPos, arg?: string): void {
    fs.formals.sort((a, b) => this.opts.symbols.compare(a.name, b.name) || a.pos - b.pos)
    let dup: { name: string; pos: PosIdx } | undefined
    for (let i = 0; i + 1 < fs.formals.length; i++) {
      const a = fs.formals[i]!
      const b = fs.formals[i + 1]!
      if (a.name !== b.name) continue
      if (!dup || this.opts.symbols.compare(a.name, dup.name) < 0 || (a.name === dup.name && b.pos < dup.pos)) dup = { name: a.name, pos: b.pos }
    }
    if (dup) throw new ParseError(`duplicate formal function argument '${dup.name}'`, dup.pos)
    if (arg !== undefined && fs.formals.some(f => f.name === arg)) throw new ParseError(`duplicate formal function argument '${arg}'`, pos)
  }

  stripIndentation(pos: PosIdx, es: IndPart[]): Expr {
    if (es.length === 0) return { kind: 'string', value: '' }
    let atStartOfLine = true
    let minIndent = 1000000
    let curIndent = 0
    for (const p of es) {
      if (!p.str || !p.str.hasIndentation) {
        if (atStartOfLine) {
          atStartOfLine = false
          if (curIndent < minIndent) minIndent = curIndent
        }
        continue
      }
      const t = p.str.text
      for (let j = 0; j < t.length; j++) {
        const ch = t[j]
        if (atStartOfLine) {
          if (ch === ' ') curIndent++
          else if (ch === '\n') curIndent = 0
          else {
            atStartOfLine = false
            if (curIndent < minIndent) minIndent = curIndent
          }
        } else if (ch === '\n') {
          atStartOfLine = true
          curIndent = 0
        }
      }
    }
    const es2: Array<[PosIdx, Expr]> = []
    atStartOfLine = true
    let curDropped = 0
    let n = es.length
    for (const p of es) {
      if (p.e) {
        atStartOfLine = false
        curDropped = 0
        es2.push([p.pos, p.e])
      } else {
        const t = p.str!.text
        let s2 = ''
        for (let j = 0; j < t.length; j++) {
          const ch = t[j]!
          if (atStartOfLine) {
            if (ch === ' ') {
              if (curDropped++ >= minIndent) s2 += ch
            } else if (ch === '\n') {
              curDropped = 0
              s2 += ch
            } else {
              atStartOfLine = false
              curDropped = 0
              s2 += ch
            }
          } else {
            s2 += ch
            if (ch === '\n') atStartOfLine = true
          }
        }
        if (n === 1) {
          const q = s2.lastIndexOf('\n')
          if (q >= 0 && /^ *$/.test(s2.slice(q + 1))) s2 = s2.slice(0, q + 1)
        }
        if (s2 !== '') es2.push([p.pos, { kind: 'string', value: s2 }])
      }
      n--
    }
    if (es2.length === 0) return { kind: 'string', value: '' }
    if (es2.length === 1 && es2[0]![1].kind === 'string') return es2[0]![1]
    return { kind: 'concatStrings', pos, forceString: true, parts: es2 }
  }

  /** C++ ExprCall::warnIfCursedOr: `f or` used where a future parse will differ. */
  warnIfCursedOr(e: Expr): void {
    if (e.kind !== 'call' || e.cursedOrEndPos === undefined) return
    const o = this.origin
    const snippet = o.text.slice(e.pos - o.base, e.cursedOrEndPos - o.base)
    this.opts.rawWarn?.(`at ${this.showPosIdx(e.pos)}: This expression uses \`or\` as an identifier in a way that will change in a future Nix release.
Wrap this entire expression in parentheses to preserve its current meaning:
    (${snippet})
Give feedback at https://github.com/NixOS/nix/pull/11121`)
  }

  /** C++ `diagnose`: a lint setting decides between nothing, a warning and an error. */
  diagnose(level: LintLevel | undefined, setting: string, msg: (fatal: boolean) => string, pos: PosIdx): void {
    if (level === undefined || level === 'ignore') return
    if (level === 'fatal') throw new ParseError(`${msg(true)} (${setting})`, pos)
    this.opts.warn?.(`${msg(false)} (${setting})`, pos)
  }

  pathLiteral(literal: string, pos: PosIdx): Expr {
    let path: string
    if (literal.startsWith('/')) {
      this.diagnose(this.opts.lintAbsolutePathLiterals, 'lint-absolute-path-literals', () =>
        `absolute path literals are not portable. Consider replacing path literal '${literal}' by a string, relative path, or parameter`, pos)
      path = canonPath(literal)
    } else {
      if (!literal.startsWith('.')) {
        this.diagnose(this.opts.lintShortPathLiterals, 'lint-short-path-literals', () =>
          `relative path literal '${literal}' should be prefixed with '.' for clarity: './${literal}'`, pos)
      }
      path = absPath(literal, this.opts.basePath)
    }
    if (literal.length > 1 && literal.endsWith('/')) path += '/'
    return { kind: 'path', value: path }
  }

  homePathLiteral(literal: string, pos: PosIdx): Expr {
    if (this.opts.pureEval) throw new ParseError(`the path '${literal}' can not be resolved in pure mode`, noPos)
    this.diagnose(this.opts.lintAbsolutePathLiterals, 'lint-absolute-path-literals', () =>
      `home path literals are not portable. Consider replacing path literal '${literal}' by a string, relative path, or parameter`, pos)
    return { kind: 'path', value: this.opts.home + literal.slice(1) }
  }
}

/** parser.y `makeCall`: applying a call appends to its arguments (`(f a) b` is `f a b`). */
function makeCall(pos: PosIdx, fn: Expr, arg: Expr): Expr {
  if (fn.kind === 'call') {
    fn.args.push(arg)
    return fn
  }
  return { kind: 'call', pos, fn, args: [arg] }
}

const call = (pos: PosIdx, name: string, args: Expr[]): ExprCall => ({ kind: 'call', pos, fn: mkVar(noPos, name), args })

function syntaxError(tab: Decoded, state: number, tok: Token, termIdx: number): string {
  const expected: string[] = []
  let tooMany = false
  for (let t = 0; t < tab.nTerms; t++) {
    const a = tab.action[state * tab.nTerms + t]!
    if (a === NONE || a === 0 || t === 1) continue
    if (expected.length === 4) { tooMany = true; break }
    expected.push(TERMINALS[t]!.display)
  }
  const unexpected = TERMINALS[termIdx]!.display
  void tok
  if (tooMany || expected.length === 0) return `syntax error, unexpected ${unexpected}`
  return `syntax error, unexpected ${unexpected}, expecting ${expected.join(' or ')}`
}

/** Parse a whole text; throws ParseError. The result still needs variable binding (bind.ts). */
export function parseText(positions: PosTable, origin: Origin, opts: ParseOptions): Expr {
  const tab = tables()
  const ps = new ParserState(positions, origin, opts)
  const lexer = new Lexer(origin.text, origin.base)
  const base = origin.base
  const at = (off: number): PosIdx => base + off

  // The LR stack: parallel arrays and an explicit top (no per-step allocation).
  let states = new Int32Array(256)
  let begins = new Int32Array(256)
  let ends = new Int32Array(256)
  const vals: unknown[] = [undefined]
  let top = 0
  states[0] = 0
  let la: Token | undefined
  let laTerm = 0
  let sp = 0
  const v = (k: number): unknown => vals[sp + k - 1]
  const bAt = (k: number): PosIdx => base + begins[sp + k - 1]!
  const grow = (): void => {
    const n = states.length * 2
    const s2 = new Int32Array(n); s2.set(states); states = s2
    const b2 = new Int32Array(n); b2.set(begins); begins = b2
    const e2 = new Int32Array(n); e2.set(ends); ends = e2
  }

  for (;;) {
    const state = states[top]!
    let act = NONE
    if (tab.rowEmpty[state] === 0) {
      if (la === undefined) {
        la = lexer.next()
        if (la.kind === Tok.PIPE_FROM || la.kind === Tok.PIPE_INTO) {
          if (!opts.experimentalFeatures?.has('pipe-operators')) {
            throw new ParseError("experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it", at(la.begin))
          }
        }
        laTerm = tab.termOf.get(la.kind) ?? 2
      }
      act = tab.action[state * tab.nTerms + laTerm]!
    }
    if (act === NONE) {
      const def = tab.defaults[state]!
      if (def < 0) {
        const msg = syntaxError(tab, state, la!, laTerm)
        const off = la!.kind === Tok.EOF ? la!.end : la!.begin
        throw new ParseError(msg, at(off))
      }
      act = -(def + 1)
    }
    if (act === 0) {
      const msg = syntaxError(tab, state, la!, laTerm)
      throw new ParseError(msg, at(la!.kind === Tok.EOF ? la!.end : la!.begin))
    }
    if (act === ACCEPT) return vals[1] as Expr
    if (act === NONE) throw new Error('parser: unreachable')
    if (act > 0) {
      if (++top === states.length) grow()
      states[top] = act - 1
      const t = la!
      vals[top] = t
      begins[top] = t.begin
      ends[top] = t.end
      la = undefined
      continue
    }
    // Reduce.
    const prod = -act - 1
    const len = tab.prodLen[prod]!
    sp = top + 1 - len
    const b = len > 0 ? begins[sp]! : ends[sp - 1]!
    const e = len > 0 ? ends[top]! : ends[sp - 1]!
    const CUR = at(b)
    let r: unknown
    switch (tab.prodAction[prod]!) {
      case 'start': case 'pass': r = v(1); break
      case 'lambdaSimple': {
        const name = (v(1) as Token).text
        opts.symbols.intern(name)
        r = lambda(CUR, name, undefined, v(3) as Expr)
        break
      }
      case 'lambdaFormals': {
        const fs = v(1) as FormalSet
        ps.validateFormals(fs)
        r = lambda(CUR, undefined, fs, v(3) as Expr)
        break
      }
      case 'lambdaFormalsAt': {
        const fs = v(1) as FormalSet
        const arg = (v(3) as Token).text
        opts.symbols.intern(arg)
        ps.validateFormals(fs, CUR, arg)
        r = lambda(CUR, arg, fs, v(5) as Expr)
        break
      }
      case 'lambdaAtFormals': {
        const fs = v(3) as FormalSet
        const arg = (v(1) as Token).text
        opts.symbols.intern(arg)
        ps.validateFormals(fs, CUR, arg)
        r = lambda(CUR, arg, fs, v(5) as Expr)
        break
      }
      case 'assert': r = { kind: 'assert', pos: CUR, cond: v(2), body: v(4) }; break
      case 'with': r = { kind: 'with', pos: CUR, attrs: v(2), body: v(4), prevWith: 0, parentWith: undefined }; break
      case 'let': {
        const attrs = v(2) as ExprAttrs
        if (attrs.dynamic.length > 0) throw new ParseError('dynamic attributes not allowed in let', CUR)
        r = { kind: 'let', attrs, body: v(4) }
        break
      }
      case 'if': r = { kind: 'if', pos: CUR, cond: v(2), then: v(4), else: v(6) }; break
      case 'pipeFrom': r = makeCall(bAt(2), v(1) as Expr, v(3) as Expr); break
      case 'pipeInto': r = makeCall(bAt(2), v(3) as Expr, v(1) as Expr); break
      case 'not': r = { kind: 'not', e: v(2) }; break
      case 'negate': r = call(CUR, '__sub', [{ kind: 'int', value: 0 }, v(2) as Expr]); break
      case 'eq': r = { kind: 'binop', op: '==', pos: noPos, e1: v(1), e2: v(3) }; break
      case 'neq': r = { kind: 'binop', op: '!=', pos: noPos, e1: v(1), e2: v(3) }; break
      case 'lt': r = call(bAt(2), '__lessThan', [v(1) as Expr, v(3) as Expr]); break
      case 'leq': r = { kind: 'not', e: call(bAt(2), '__lessThan', [v(3) as Expr, v(1) as Expr]) }; break
      case 'gt': r = call(bAt(2), '__lessThan', [v(3) as Expr, v(1) as Expr]); break
      case 'geq': r = { kind: 'not', e: call(bAt(2), '__lessThan', [v(1) as Expr, v(3) as Expr]) }; break
      case 'and': r = { kind: 'binop', op: '&&', pos: bAt(2), e1: v(1), e2: v(3) }; break
      case 'or': r = { kind: 'binop', op: '||', pos: bAt(2), e1: v(1), e2: v(3) }; break
      case 'impl': r = { kind: 'binop', op: '->', pos: bAt(2), e1: v(1), e2: v(3) }; break
      case 'update': r = { kind: 'binop', op: '//', pos: bAt(2), e1: v(1), e2: v(3) }; break
      case 'concatLists': r = { kind: 'binop', op: '++', pos: bAt(2), e1: v(1), e2: v(3) }; break
      case 'hasAttr': r = { kind: 'hasAttr', e: v(1), path: v(3) }; break
      case 'plus': r = { kind: 'concatStrings', pos: bAt(2), forceString: false, parts: [[bAt(1), v(1)], [bAt(3), v(3)]] }; break
      case 'sub': r = call(bAt(2), '__sub', [v(1) as Expr, v(3) as Expr]); break
      case 'mul': r = call(bAt(2), '__mul', [v(1) as Expr, v(3) as Expr]); break
      case 'div': r = call(bAt(2), '__div', [v(1) as Expr, v(3) as Expr]); break
      case 'app': ps.warnIfCursedOr(v(2) as Expr); r = makeCall(CUR, v(1) as Expr, v(2) as Expr); break
      case 'appSingle': { const x = v(1) as Expr; if (x.kind === 'call') delete x.cursedOrEndPos; r = x; break }
      case 'select': r = { kind: 'select', pos: CUR, e: v(1), path: v(3), def: undefined }; break
      case 'selectOr': ps.warnIfCursedOr(v(5) as Expr); r = { kind: 'select', pos: CUR, e: v(1), path: v(3), def: v(5) }; break
      case 'cursedOr': {
        const c: ExprCall = { kind: 'call', pos: CUR, fn: v(1) as Expr, args: [mkVar(CUR, 'or')], cursedOrEndPos: at(e) }
        r = c
        break
      }
      case 'var': {
        const name = (v(1) as Token).text
        opts.symbols.intern(name)
        r = name === '__curPos' ? { kind: 'curPos', pos: CUR } : mkVar(CUR, name)
        break
      }
      case 'int': r = { kind: 'int', value: (v(1) as Token).int! }; break
      case 'float': r = { kind: 'float', value: (v(1) as Token).float! }; break
      case 'string': r = stringyToExpr(v(2) as Stringy); break
      case 'indString': r = ps.stripIndentation(CUR, v(2) as IndPart[]); break
      case 'pathInterp': {
        const parts = v(2) as Array<[PosIdx, Expr]>
        parts.unshift([bAt(1), v(1) as Expr])
        r = { kind: 'concatStrings', pos: CUR, forceString: false, parts }
        break
      }
      case 'spath': {
        const t = (v(1) as Token).text
        r = call(CUR, '__findFile', [mkVar(noPos, '__nixPath'), { kind: 'string', value: t.slice(1, -1) }])
        break
      }
      case 'uri': {
        const t = (v(1) as Token).text
        ps.diagnose(opts.lintUrlLiterals, 'lint-url-literals', fatal =>
          `URL literals are ${fatal ? 'disallowed' : 'discouraged'}. Consider using a string literal "${t}" instead`, CUR)
        r = { kind: 'string', value: t }
        break
      }
      case 'paren': r = v(2); break
      case 'letBody': {
        const a = v(3) as ExprAttrs
        a.rec = true
        a.pos = CUR
        opts.symbols.intern('body')
        r = { kind: 'select', pos: noPos, e: a, path: [{ name: 'body' }], def: undefined }
        break
      }
      case 'recAttrs': { const a = v(3) as ExprAttrs; a.rec = true; a.pos = CUR; r = a; break }
      case 'attrs': { const a = v(2) as ExprAttrs; a.pos = CUR; r = a; break }
      case 'emptyAttrs': r = mkAttrs(CUR); break
      case 'list': r = { kind: 'list', elems: v(2) }; break
      case 'strPartsStr': r = { s: (v(1) as Token).text } satisfies Stringy; break
      case 'strPartsInterp': r = { e: { kind: 'concatStrings', pos: CUR, forceString: true, parts: v(1) as Array<[PosIdx, Expr]> } } satisfies Stringy; break
      case 'strPartsEmpty': r = { s: '' } satisfies Stringy; break
      case 'interpAddStr': {
        const l = v(1) as Array<[PosIdx, Expr]>
        l.push([bAt(2), { kind: 'string', value: (v(2) as Token).text }])
        r = l
        break
      }
      case 'interpAddExpr': { const l = v(1) as Array<[PosIdx, Expr]>; l.push([bAt(2), v(3) as Expr]); r = l; break }
      case 'interpFirstExpr': r = [[bAt(1), v(2)]]; break
      case 'interpFirstStrExpr': r = [[bAt(1), { kind: 'string', value: (v(1) as Token).text }], [bAt(2), v(3)]]; break
      case 'path': r = ps.pathLiteral((v(1) as Token).text, CUR); break
      case 'hpath': r = ps.homePathLiteral((v(1) as Token).text, CUR); break
      case 'indAddStr': {
        const l = v(1) as IndPart[]
        const t = v(2) as Token
        l.push({ pos: bAt(2), str: { text: t.text, hasIndentation: t.hasIndentation === true } })
        r = l
        break
      }
      case 'indAddExpr': { const l = v(1) as IndPart[]; l.push({ pos: bAt(2), e: v(3) as Expr }); r = l; break }
      case 'indEmpty': r = []; break
      case 'bindsEmpty': r = mkAttrs(); break
      case 'bindAttr': {
        const a = v(1) as ExprAttrs
        ps.addAttr(a, v(2) as AttrName[], bAt(2), v(4) as Expr)
        r = a
        break
      }
      case 'bindFirstAttr': {
        const a = mkAttrs()
        ps.addAttr(a, v(1) as AttrName[], bAt(1), v(3) as Expr)
        r = a
        break
      }
      case 'bindInherit': {
        const a = v(1) as ExprAttrs
        for (const [name, iPos] of v(3) as Array<[string, PosIdx]>) {
          const prev = a.attrs.get(name)
          if (prev) ps.dupAttr(name, iPos, prev.pos)
          a.attrs.set(name, { kind: 'inherited', e: mkVar(iPos, name), pos: iPos, displ: 0 })
        }
        r = a
        break
      }
      case 'bindInheritFrom': {
        const a = v(1) as ExprAttrs
        if (!a.inheritFrom) a.inheritFrom = []
        a.inheritFrom.push(v(4) as Expr)
        const from: Expr = { kind: 'inheritFrom', pos: bAt(4), displ: a.inheritFrom.length - 1, level: 0 }
        for (const [name, iPos] of v(6) as Array<[string, PosIdx]>) {
          const prev = a.attrs.get(name)
          if (prev) ps.dupAttr(name, iPos, prev.pos)
          a.attrs.set(name, { kind: 'inheritedFrom', e: { kind: 'select', pos: iPos, e: from, path: [{ name }], def: undefined }, pos: iPos, displ: 0 })
        }
        r = a
        break
      }
      case 'attrsAddAttr': {
        const l = v(1) as Array<[string, PosIdx]>
        const name = v(2) as string
        opts.symbols.intern(name)
        l.push([name, bAt(2)])
        r = l
        break
      }
      case 'attrsAddString': {
        const l = v(1) as Array<[string, PosIdx]>
        const s = stringyStatic(v(2) as Stringy)
        if (s === undefined) throw new ParseError('dynamic attributes not allowed in inherit', bAt(2))
        opts.symbols.intern(s)
        l.push([s, bAt(2)])
        r = l
        break
      }
      case 'attrsEmpty': r = []; break
      case 'attrpathAddAttr': { const l = v(1) as AttrName[]; l.push({ name: v(3) as string }); r = l; break }
      case 'attrpathAddString': { const l = v(1) as AttrName[]; l.push(attrNameOf(v(3) as Stringy, opts.symbols)); r = l; break }
      case 'attrpathFirstAttr': r = [{ name: v(1) as string }]; break
      case 'attrpathFirstString': r = [attrNameOf(v(1) as Stringy, opts.symbols)]; break
      case 'attrId': { const n = (v(1) as Token).text; opts.symbols.intern(n); r = n; break }
      case 'attrOr': r = 'or'; break
      case 'stringAttrStr': r = v(2); break
      case 'stringAttrExpr': r = { e: v(2) as Expr } satisfies Stringy; break
      case 'listAdd': { const l = v(1) as Expr[]; ps.warnIfCursedOr(v(2) as Expr); l.push(v(2) as Expr); r = l; break }
      case 'listEmpty': r = []; break
      case 'formalSetEllipsis': r = { formals: v(2) as Formal[], ellipsis: true } satisfies FormalSet; break
      case 'formalSetOnlyEllipsis': r = { formals: [], ellipsis: true } satisfies FormalSet; break
      case 'formalSet': r = { formals: v(2) as Formal[], ellipsis: false } satisfies FormalSet; break
      case 'formalSetEmpty': r = { formals: [], ellipsis: false } satisfies FormalSet; break
      case 'formalsAdd': { const l = v(1) as Formal[]; l.push(v(3) as Formal); r = l; break }
      case 'formalsFirst': r = [v(1)]; break
      case 'formal': { const n = (v(1) as Token).text; opts.symbols.intern(n); r = { pos: CUR, name: n, def: undefined } satisfies Formal; break }
      case 'formalDefault': { const n = (v(1) as Token).text; opts.symbols.intern(n); r = { pos: CUR, name: n, def: v(3) as Expr } satisfies Formal; break }
      default: throw new Error(`parser: no action ${tab.prodAction[prod]}`)
    }
    const lhs = tab.prodLhs[prod]!
    const target = tab.goto[states[sp - 1]! * tab.nNonterms + lhs]!
    top = sp
    if (top === states.length) grow()
    states[top] = target
    vals[top] = r
    begins[top] = b
    ends[top] = e
  }
}

function attrNameOf(x: Stringy, symbols: SymbolTable): AttrName {
  const s = stringyStatic(x)
  if (s !== undefined) { symbols.intern(s); return { name: s } }
  return { expr: (x as { e: Expr }).e }
}

function lambda(pos: PosIdx, arg: string | undefined, fs: FormalSet | undefined, body: Expr): ExprLambda {
  return { kind: 'lambda', pos, arg, formals: fs?.formals, ellipsis: fs?.ellipsis ?? false, body, name: undefined }
}
