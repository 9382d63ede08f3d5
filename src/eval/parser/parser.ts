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
import { printIdentifier, showAttrPath } from '../show.js'
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
  /** Semantic action of each production. */
  prodFn: Action[]
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
    prodFn: t.prods.map(p => {
      const f = ACTIONS[p[2]]
      if (f === undefined) throw new Error(`parser: no action ${p[2]}`)
      return f
    }),
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
    throw new ParseError(`attribute '${printIdentifier(name)}' already defined at ${this.showAny(prevPos)}`, pos)
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
          else this.dupAttrPath(path.slice(0, i + 1), pos, j.pos)
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
/** The right-hand side of the production being reduced, as the semantic actions see it. */
class Rhs {
  readonly vals: unknown[] = [undefined]
  /** Stack index of the first right-hand-side symbol. */
  sp = 0
  /** End offset of the right-hand side. */
  end = 0
  constructor(readonly base: number, readonly ps: ParserState, readonly opts: ParseOptions, public begins: Int32Array) {}
  /** Semantic value of the k-th symbol (1-based, like Bison's `$k`). */
  v(k: number): unknown { return this.vals[this.sp + k - 1] }
  /** Begin position of the k-th symbol (`@k.begin`). */
  bAt(k: number): PosIdx { return this.base + this.begins[this.sp + k - 1]! }
  at(off: number): PosIdx { return this.base + off }
}

type Action = (p: Rhs, CUR: PosIdx) => unknown

/** `{ formals } @ arg: body` or `arg @ { formals }: body`: the formals and the name at the given symbols. */
function namedFormalsLambda(p: Rhs, CUR: PosIdx, formalsAt: number, argAt: number): Expr {
  const fs = p.v(formalsAt) as FormalSet
  const arg = (p.v(argAt) as Token).text
  p.opts.symbols.intern(arg)
  p.ps.validateFormals(fs, CUR, arg)
  return lambda(CUR, arg, fs, p.v(5) as Expr)
}

/**
 * The semantic actions, one small function per production kind (named in grammar.ts): small
 * functions get optimised early, where one big switch took V8 ~170 ms to compile, too late to
 * help a single parse.
 */
const ACTIONS: Record<string, Action> = {
  accept: () => { throw new Error('parser: the accepting production is never reduced') },
  start: p => p.v(1),
  pass: p => p.v(1),
  lambdaSimple: (p, CUR) => {
    const name = (p.v(1) as Token).text
    p.opts.symbols.intern(name)
    return lambda(CUR, name, undefined, p.v(3) as Expr)
  },
  lambdaFormals: (p, CUR) => {
    const fs = p.v(1) as FormalSet
    p.ps.validateFormals(fs)
    return lambda(CUR, undefined, fs, p.v(3) as Expr)
  },
  lambdaFormalsAt: (p, CUR) => namedFormalsLambda(p, CUR, 1, 3),
  lambdaAtFormals: (p, CUR) => namedFormalsLambda(p, CUR, 3, 1),
  assert: (p, CUR) => ({ kind: 'assert', pos: CUR, cond: p.v(2), body: p.v(4) }),
  with: (p, CUR) => ({ kind: 'with', pos: CUR, attrs: p.v(2), body: p.v(4), prevWith: 0, parentWith: undefined }),
  let: (p, CUR) => {
    const attrs = p.v(2) as ExprAttrs
    if (attrs.dynamic.length > 0) throw new ParseError('dynamic attributes not allowed in let', CUR)
    return { kind: 'let', attrs, body: p.v(4) }
  },
  if: (p, CUR) => ({ kind: 'if', pos: CUR, cond: p.v(2), then: p.v(4), else: p.v(6) }),
  pipeFrom: p => makeCall(p.bAt(2), p.v(1) as Expr, p.v(3) as Expr),
  pipeInto: p => makeCall(p.bAt(2), p.v(3) as Expr, p.v(1) as Expr),
  not: p => ({ kind: 'not', e: p.v(2) }),
  negate: (p, CUR) => call(CUR, '__sub', [{ kind: 'int', value: 0 }, p.v(2) as Expr]),
  eq: p => ({ kind: 'binop', op: '==', pos: noPos, e1: p.v(1), e2: p.v(3) }),
  neq: p => ({ kind: 'binop', op: '!=', pos: noPos, e1: p.v(1), e2: p.v(3) }),
  lt: p => call(p.bAt(2), '__lessThan', [p.v(1) as Expr, p.v(3) as Expr]),
  leq: p => ({ kind: 'not', e: call(p.bAt(2), '__lessThan', [p.v(3) as Expr, p.v(1) as Expr]) }),
  gt: p => call(p.bAt(2), '__lessThan', [p.v(3) as Expr, p.v(1) as Expr]),
  geq: p => ({ kind: 'not', e: call(p.bAt(2), '__lessThan', [p.v(1) as Expr, p.v(3) as Expr]) }),
  and: p => ({ kind: 'binop', op: '&&', pos: p.bAt(2), e1: p.v(1), e2: p.v(3) }),
  or: p => ({ kind: 'binop', op: '||', pos: p.bAt(2), e1: p.v(1), e2: p.v(3) }),
  impl: p => ({ kind: 'binop', op: '->', pos: p.bAt(2), e1: p.v(1), e2: p.v(3) }),
  update: p => ({ kind: 'binop', op: '//', pos: p.bAt(2), e1: p.v(1), e2: p.v(3) }),
  concatLists: p => ({ kind: 'binop', op: '++', pos: p.bAt(2), e1: p.v(1), e2: p.v(3) }),
  hasAttr: p => ({ kind: 'hasAttr', e: p.v(1), path: p.v(3) }),
  plus: p => ({ kind: 'concatStrings', pos: p.bAt(2), forceString: false, parts: [[p.bAt(1), p.v(1)], [p.bAt(3), p.v(3)]] }),
  sub: p => call(p.bAt(2), '__sub', [p.v(1) as Expr, p.v(3) as Expr]),
  mul: p => call(p.bAt(2), '__mul', [p.v(1) as Expr, p.v(3) as Expr]),
  div: p => call(p.bAt(2), '__div', [p.v(1) as Expr, p.v(3) as Expr]),
  app: (p, CUR) => { p.ps.warnIfCursedOr(p.v(2) as Expr); return makeCall(CUR, p.v(1) as Expr, p.v(2) as Expr) },
  appSingle: p => { const x = p.v(1) as Expr; if (x.kind === 'call') delete x.cursedOrEndPos; return x },
  select: (p, CUR) => ({ kind: 'select', pos: CUR, e: p.v(1), path: p.v(3), def: undefined }),
  selectOr: (p, CUR) => { p.ps.warnIfCursedOr(p.v(5) as Expr); return { kind: 'select', pos: CUR, e: p.v(1), path: p.v(3), def: p.v(5) } },
  cursedOr: (p, CUR) => {
    const c: ExprCall = { kind: 'call', pos: CUR, fn: p.v(1) as Expr, args: [mkVar(CUR, 'or')], cursedOrEndPos: p.at(p.end) }
    return c
  },
  var: (p, CUR) => {
    const name = (p.v(1) as Token).text
    p.opts.symbols.intern(name)
    return name === '__curPos' ? { kind: 'curPos', pos: CUR } : mkVar(CUR, name)
  },
  int: p => ({ kind: 'int', value: (p.v(1) as Token).int! }),
  float: p => ({ kind: 'float', value: (p.v(1) as Token).float! }),
  string: p => stringyToExpr(p.v(2) as Stringy),
  indString: (p, CUR) => p.ps.stripIndentation(CUR, p.v(2) as IndPart[]),
  pathInterp: (p, CUR) => {
    const parts = p.v(2) as Array<[PosIdx, Expr]>
    parts.unshift([p.bAt(1), p.v(1) as Expr])
    return { kind: 'concatStrings', pos: CUR, forceString: false, parts }
  },
  spath: (p, CUR) => {
    const t = (p.v(1) as Token).text
    return call(CUR, '__findFile', [mkVar(noPos, '__nixPath'), { kind: 'string', value: t.slice(1, -1) }])
  },
  uri: (p, CUR) => {
    const t = (p.v(1) as Token).text
    p.ps.diagnose(p.opts.lintUrlLiterals, 'lint-url-literals', fatal =>
      `URL literals are ${fatal ? 'disallowed' : 'discouraged'}. Consider using a string literal "${t}" instead`, CUR)
    return { kind: 'string', value: t }
  },
  paren: p => p.v(2),
  letBody: (p, CUR) => {
    const a = p.v(3) as ExprAttrs
    a.rec = true
    a.pos = CUR
    p.opts.symbols.intern('body')
    return { kind: 'select', pos: noPos, e: a, path: [{ name: 'body' }], def: undefined }
  },
  recAttrs: (p, CUR) => { const a = p.v(3) as ExprAttrs; a.rec = true; a.pos = CUR; return a },
  attrs: (p, CUR) => { const a = p.v(2) as ExprAttrs; a.pos = CUR; return a },
  emptyAttrs: (_p, CUR) => mkAttrs(CUR),
  list: p => ({ kind: 'list', elems: p.v(2) }),
  strPartsStr: p => ({ s: (p.v(1) as Token).text } satisfies Stringy),
  strPartsInterp: (p, CUR) => ({ e: { kind: 'concatStrings', pos: CUR, forceString: true, parts: p.v(1) as Array<[PosIdx, Expr]> } } satisfies Stringy),
  strPartsEmpty: () => ({ s: '' } satisfies Stringy),
  interpAddStr: p => {
    const l = p.v(1) as Array<[PosIdx, Expr]>
    l.push([p.bAt(2), { kind: 'string', value: (p.v(2) as Token).text }])
    return l
  },
  interpAddExpr: p => { const l = p.v(1) as Array<[PosIdx, Expr]>; l.push([p.bAt(2), p.v(3) as Expr]); return l },
  interpFirstExpr: p => [[p.bAt(1), p.v(2)]],
  interpFirstStrExpr: p => [[p.bAt(1), { kind: 'string', value: (p.v(1) as Token).text }], [p.bAt(2), p.v(3)]],
  path: (p, CUR) => p.ps.pathLiteral((p.v(1) as Token).text, CUR),
  hpath: (p, CUR) => p.ps.homePathLiteral((p.v(1) as Token).text, CUR),
  indAddStr: p => {
    const l = p.v(1) as IndPart[]
    const t = p.v(2) as Token
    l.push({ pos: p.bAt(2), str: { text: t.text, hasIndentation: t.hasIndentation === true } })
    return l
  },
  indAddExpr: p => { const l = p.v(1) as IndPart[]; l.push({ pos: p.bAt(2), e: p.v(3) as Expr }); return l },
  indEmpty: () => [],
  bindsEmpty: () => mkAttrs(),
  bindAttr: p => {
    const a = p.v(1) as ExprAttrs
    p.ps.addAttr(a, p.v(2) as AttrName[], p.bAt(2), p.v(4) as Expr)
    return a
  },
  bindFirstAttr: p => {
    const a = mkAttrs()
    p.ps.addAttr(a, p.v(1) as AttrName[], p.bAt(1), p.v(3) as Expr)
    return a
  },
  bindInherit: p => {
    const a = p.v(1) as ExprAttrs
    for (const [name, iPos] of p.v(3) as Array<[string, PosIdx]>) {
      const prev = a.attrs.get(name)
      if (prev) p.ps.dupAttr(name, iPos, prev.pos)
      a.attrs.set(name, { kind: 'inherited', e: mkVar(iPos, name), pos: iPos, displ: 0 })
    }
    return a
  },
  bindInheritFrom: p => {
    const a = p.v(1) as ExprAttrs
    if (!a.inheritFrom) a.inheritFrom = []
    a.inheritFrom.push(p.v(4) as Expr)
    const from: Expr = { kind: 'inheritFrom', pos: p.bAt(4), displ: a.inheritFrom.length - 1, level: 0 }
    for (const [name, iPos] of p.v(6) as Array<[string, PosIdx]>) {
      const prev = a.attrs.get(name)
      if (prev) p.ps.dupAttr(name, iPos, prev.pos)
      a.attrs.set(name, { kind: 'inheritedFrom', e: { kind: 'select', pos: iPos, e: from, path: [{ name }], def: undefined }, pos: iPos, displ: 0 })
    }
    return a
  },
  attrsAddAttr: p => {
    const l = p.v(1) as Array<[string, PosIdx]>
    const name = p.v(2) as string
    p.opts.symbols.intern(name)
    l.push([name, p.bAt(2)])
    return l
  },
  attrsAddString: p => {
    const l = p.v(1) as Array<[string, PosIdx]>
    const s = stringyStatic(p.v(2) as Stringy)
    if (s === undefined) throw new ParseError('dynamic attributes not allowed in inherit', p.bAt(2))
    p.opts.symbols.intern(s)
    l.push([s, p.bAt(2)])
    return l
  },
  attrsEmpty: () => [],
  attrpathAddAttr: p => { const l = p.v(1) as AttrName[]; l.push({ name: p.v(3) as string }); return l },
  attrpathAddString: p => { const l = p.v(1) as AttrName[]; l.push(attrNameOf(p.v(3) as Stringy, p.opts.symbols)); return l },
  attrpathFirstAttr: p => [{ name: p.v(1) as string }],
  attrpathFirstString: p => [attrNameOf(p.v(1) as Stringy, p.opts.symbols)],
  attrId: p => { const n = (p.v(1) as Token).text; p.opts.symbols.intern(n); return n },
  attrOr: () => 'or',
  stringAttrStr: p => p.v(2),
  stringAttrExpr: p => ({ e: p.v(2) as Expr } satisfies Stringy),
  listAdd: p => { const l = p.v(1) as Expr[]; p.ps.warnIfCursedOr(p.v(2) as Expr); l.push(p.v(2) as Expr); return l },
  listEmpty: () => [],
  formalSetEllipsis: p => ({ formals: p.v(2) as Formal[], ellipsis: true } satisfies FormalSet),
  formalSetOnlyEllipsis: () => ({ formals: [], ellipsis: true } satisfies FormalSet),
  formalSet: p => ({ formals: p.v(2) as Formal[], ellipsis: false } satisfies FormalSet),
  formalSetEmpty: () => ({ formals: [], ellipsis: false } satisfies FormalSet),
  formalsAdd: p => { const l = p.v(1) as Formal[]; l.push(p.v(3) as Formal); return l },
  formalsFirst: p => [p.v(1)],
  formal: (p, CUR) => { const n = (p.v(1) as Token).text; p.opts.symbols.intern(n); return { pos: CUR, name: n, def: undefined } satisfies Formal },
  formalDefault: (p, CUR) => { const n = (p.v(1) as Token).text; p.opts.symbols.intern(n); return { pos: CUR, name: n, def: p.v(3) as Expr } satisfies Formal },
}

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
  const rhs = new Rhs(base, ps, opts, begins)
  const vals = rhs.vals
  let top = 0
  states[0] = 0
  let la: Token | undefined
  let laTerm = 0
  let sp = 0
  const grow = (): void => {
    const n = states.length * 2
    const s2 = new Int32Array(n); s2.set(states); states = s2
    const b2 = new Int32Array(n); b2.set(begins); begins = b2; rhs.begins = b2
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
    rhs.sp = sp
    rhs.end = e
    const r = tab.prodFn[prod]!(rhs, CUR)
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
