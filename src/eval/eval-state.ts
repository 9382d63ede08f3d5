/**
 * The evaluator's state and its shared operations (C++ `EvalState`): parsing and compiling
 * files and strings, the base environment and `builtins`, function calls (with call-depth
 * accounting and trace frames), forcing with type checks, string coercion, equality, deep
 * forcing, and the error helpers every builtin uses so that messages match C++ Nix.
 */
import type { Expr, ExprVar } from './ast.js'
import { bindVars, StaticEnv } from './bind.js'
import { builtinGroups } from './builtins/index.js'
import { copySourcePath } from './builtins/store-paths.js'
import type { BuiltinGroup, PrimOpDef } from './builtins/registry.js'
import { Compiler } from './compile.js'
import { COREPKGS } from './corepkgs.js'
import { Env, NO_ENV, setSlot } from './env.js'
import {
  AssertionError, EvalError, MissingArgumentError, NixTypeError, StackOverflowError, renderError,
} from './errors.js'
import { force, forceAt, forceThunk } from './force.js'
import type { EvalIO } from './io.js'
import { parseText, type LintLevel } from './parser/parser.js'
import { noPos, type OriginKind, type PosIdx, PosTable, showPos } from './pos.js'
import { errorPrintOptions, printValue } from './print.js'
import { formatFixed6, formatG, printIdentifier } from './show.js'
import { SymbolTable } from './symbols.js'
import {
  Attrs, type Context, type ContextElem, Lambda, type LambdaInfo, NixFloat, NixPath, NixString, PrimOp, PrimOpApp,
  Thunk, type Value, compareBytes, GenList, intFromBig, isFunction, isList, listItems, markForcedThunk, ownsList, showType,
} from './value.js'

export interface LookupPathEntry {
  /** `nixpkgs` in `nixpkgs=/path`; empty for a plain entry. */
  prefix: string
  path: string
}

export interface EvalSettings {
  maxCallDepth: number
  showTrace: boolean
  pureEval: boolean
  restrictEval: boolean
  storeDir: string
  nixPath: LookupPathEntry[]
  experimentalFeatures: Set<string>
  home: string
  currentSystem: string
  nixVersion: string
  traceVerbose: boolean
  abortOnWarn: boolean
  lintUrlLiterals: LintLevel
  lintShortPathLiterals: LintLevel
  lintAbsolutePathLiterals: LintLevel
  /** Working directory for relative lookup-path entries (`-I foo`, NIX_PATH). */
  cwd: string
}

export function defaultEvalSettings(): EvalSettings {
  return {
    maxCallDepth: 10000,
    showTrace: false,
    pureEval: false,
    restrictEval: false,
    storeDir: '/nix/store',
    nixPath: [],
    experimentalFeatures: new Set(),
    home: '/homeless-shelter',
    currentSystem: 'x86_64-linux',
    nixVersion: '2.34.8',
    traceVerbose: false,
    abortOnWarn: false,
    lintUrlLiterals: 'ignore',
    lintShortPathLiterals: 'ignore',
    lintAbsolutePathLiterals: 'ignore',
    cwd: '/',
  }
}

/** Extension points for store-related features implemented outside the core (NAR, drv). */
/** Output formats implemented outside the core (XML printer, derivation instantiation). */
export interface OutputHooks {
  printXML?: (st: EvalState, v: Value, strict: boolean, location: boolean) => string
  /** nix-instantiate without --eval: the lines to print (store derivation paths). */
  instantiate?: (st: EvalState, v: Value, autoArgs: Attrs) => string[]
}

export interface EvalHooks {
  /** Copy a source path into the store (or compute its path in read-only mode): store path. */
  copyPathToStore?: (st: EvalState, path: string, pos: PosIdx) => string
}

type LambdaInfoX = LambdaInfo

export class EvalState {
  readonly positions = new PosTable()
  readonly symbols = new SymbolTable()
  readonly compiler: Compiler
  readonly settings: EvalSettings
  readonly hooks: EvalHooks = {}
  readonly outputHooks: OutputHooks = {}
  /** Current call depth (C++ `callDepth`); restored by tryEval after a caught error. */
  depth = 0
  readonly baseEnv: Env
  readonly staticBaseEnv: StaticEnv
  private readonly baseVars = new Map<string, number>()
  private readonly baseValues: Value[] = []
  builtins!: Attrs
  private readonly primops = new Map<string, PrimOp>()
  /** Evaluated files (`import`), by resolved path. */
  readonly fileEvalCache = new Map<string, Value>()
  /** Paths copied to the store during this evaluation (srcPath → store path). */
  readonly srcToStore = new Map<string, string>()
  /** Free-form per-feature state for builtin groups (regex caches, …). */
  readonly extensions = new Map<string, unknown>()
  /** Files reachable as `<nix/NAME>` (C++ corepkgs), by name. */
  readonly corepkgs = new Map<string, string>()

  constructor(readonly io: EvalIO, settings: Partial<EvalSettings> = {}, groups: readonly BuiltinGroup[] = builtinGroups) {
    this.settings = { ...defaultEvalSettings(), ...settings }
    for (const [k, v] of COREPKGS) this.corepkgs.set(k, v)
    this.compiler = new Compiler(this)
    this.installBuiltins(groups)
    this.baseEnv = new Env(null, this.baseValues.length)
    for (let i = 0; i < this.baseValues.length; i++) setSlot(this.baseEnv, i + 1, this.baseValues[i])
    this.staticBaseEnv = new StaticEnv(undefined, this.baseVars)
  }

  // ---- builtins -----------------------------------------------------------------------------

  private addBase(name: string, v: Value): void {
    this.symbols.intern(name)
    const existing = this.baseVars.get(name)
    if (existing !== undefined) { this.baseValues[existing] = v; return }
    this.baseVars.set(name, this.baseValues.length)
    this.baseValues.push(v)
  }

  private installBuiltins(groups: readonly BuiltinGroup[]): void {
    const bmap = new Map<string, Value>()
    const builtins = new Attrs(bmap)
    this.builtins = builtins
    const enabled = (d: { experimentalFeature?: string; impureOnly?: boolean }): boolean =>
      (d.experimentalFeature === undefined || this.settings.experimentalFeatures.has(d.experimentalFeature)) &&
      !(d.impureOnly === true && this.settings.pureEval)
    const strip = (n: string): string => (n.startsWith('__') ? n.slice(2) : n)
    this.addBase('builtins', builtins)
    bmap.set('builtins', builtins)
    for (const g of groups) {
      for (const c of g.constants ?? []) {
        if (!enabled(c)) continue
        const v = c.value(this)
        this.addBase(c.name, v)
        bmap.set(strip(c.name), v)
      }
      for (const p of g.primops ?? []) {
        if (!enabled(p)) continue
        const po = this.makePrimOp(p)
        this.primops.set(strip(p.name), po)
        // Arity-0 primops are constants computed on first use.
        const v: Value = p.arity === 0 ? new Thunk(() => p.impl(this, [], noPos), NO_ENV) : po
        this.addBase(p.name, v)
        bmap.set(strip(p.name), v)
      }
    }
    for (const g of groups) {
      for (const src of g.nixSources ?? []) {
        const t = new Thunk(() => this.evalNixSource(src.path, src.source), NO_ENV)
        this.addBase(src.name, t)
        bmap.set(strip(src.name), t)
      }
    }
  }

  private makePrimOp(p: PrimOpDef): PrimOp {
    const name = p.name.startsWith('__') ? p.name.slice(2) : p.name
    const addTrace = p.addTrace !== false
    const impl = p.impl
    const st = this
    // C++ passes the primop value's own position (none) to the implementation; the call
    // position only appears in the "while calling" frame.
    return new PrimOp(name, p.arity, addTrace ? (args, pos) => {
      try {
        return impl(st, args, noPos)
      } catch (e) {
        if (e instanceof EvalError) e.addTrace(pos, `while calling the '${name}' builtin`)
        throw e
      }
    } : args => impl(st, args, noPos), p.args ?? [])
  }

  /** Whether a variable resolves to the base environment (i.e. a builtin, not shadowed). */
  isBaseVar(v: ExprVar): boolean {
    return (v as ExprVar & { isBase?: boolean }).isBase === true
  }

  getPrimOp(name: string): PrimOp {
    const p = this.primops.get(name)
    if (!p) throw new EvalError(`internal error: no builtin '${name}'`)
    return p
  }

  /** C++ Value::determinePos: where a value comes from, for errors while forcing it. */
  determinePos(v: Value, fallback: PosIdx = noPos): PosIdx {
    if (v instanceof Thunk && (v.code === this.appCode || v.code === this.app2Code)) v = v.env as unknown as Value
    if (v instanceof Lambda) return v.info.pos
    // Sets built other than from a literal carry no position (as C++ `//` results).
    if (v instanceof Attrs) return v.shape?.setPos ?? noPos
    return fallback
  }

  /** `builtins.genList f n`'s list, its elements made when read. */
  mkGenList(f: Value, n: number): Value[] | GenList {
    return n === 0 ? [] : new GenList(this.appCode, f, n)
  }

  /** A lazy application `f x` (C++ `mkApp`): used for map, genList, mapAttrs results. */
  mkApp(f: Value, x: Value): Thunk {
    const t = new Thunk(this.appCode, f as unknown as Env)
    t.value = x
    return t
  }
  private readonly appCode = (f: Env, pos: PosIdx = noPos, x?: unknown): Value =>
    this.callFunction(this.force(f as unknown as Value, pos), x as Value, pos)
  mkApp2(f: Value, x: Value, y: Value): Thunk {
    const t = new Thunk(this.app2Code, f as unknown as Env)
    t.value = [x, y]
    return t
  }
  private readonly app2Code = (f: Env, pos: PosIdx = noPos, xy?: unknown): Value =>
    this.callFunctionN(f as unknown as Value, xy as Value[], pos)

  // ---- parsing and evaluating -----------------------------------------------------------------

  /** Parse and bind a text (C++ parseExprFromString/File). */
  parse(text: string, kind: OriginKind, path: string, basePath: string, staticEnv: StaticEnv = this.staticBaseEnv): Expr {
    const origin = this.positions.addOrigin(kind, path, text)
    const s = this.settings
    const e = parseText(this.positions, origin, {
      basePath,
      home: s.home,
      pureEval: s.pureEval,
      lintUrlLiterals: s.lintUrlLiterals,
      lintShortPathLiterals: s.lintShortPathLiterals,
      lintAbsolutePathLiterals: s.lintAbsolutePathLiterals,
      experimentalFeatures: s.experimentalFeatures,
      warn: (msg, pos) => this.warn(msg, pos),
      rawWarn: msg => this.io.writeStderr(`warning: ${msg}\n`),
      symbols: this.symbols,
    })
    bindVars(e, staticEnv)
    markBaseVars(e, staticEnv, this.staticBaseEnv)
    return e
  }

  /** A thunk evaluating `e` in the base env (for --arg values). */
  lazyEval(e: Expr): Value {
    const code = this.compiler.compile(e)
    return new Thunk(code, this.baseEnv)
  }

  /** C++ autoCallFunction: call a function with formals using the --arg/--argstr values. */
  autoCallFunction(args: Attrs, fun: Value): Value {
    fun = this.force(fun)
    if (fun instanceof Attrs) {
      const f = fun.get('__functor')
      if (f !== undefined) return this.autoCallFunction(args, this.force(this.callFunction(this.force(f), fun, noPos)))
    }
    if (!(fun instanceof Lambda) || fun.info.formals === undefined) return fun
    const m = new Map<string, Value>()
    if (fun.info.ellipsis) {
      for (const [k, v] of args.entries()) m.set(k, v)
    } else {
      for (const f of fun.info.formals) {
        const v = args.get(f.name)
        if (v !== undefined) m.set(f.name, v)
        else if (f.def === undefined) {
          throw new MissingArgumentError(`cannot evaluate a function that has an argument without a value ('${f.name}')
Nix attempted to evaluate a function as a top level expression; in
this case it must have its arguments supplied either by default
values, or passed explicitly with '--arg' or '--argstr'. See
https://nix.dev/manual/nix/stable/language/syntax.html#functions.`, f.pos)
        }
      }
    }
    return this.callFunction(fun, new Attrs(m), noPos)
  }

  /** Evaluate a bound expression in the base env (or `env` matching the static env used to bind it). */
  eval(e: Expr, env: Env = this.baseEnv): Value {
    return this.compiler.compile(e)(env)
  }

  /** Nix code shipped with the evaluator (derivation.nix): evaluated in the base env. */
  evalNixSource(path: string, source: string): Value {
    const e = this.parse(source, 'file', path, '/')
    return this.eval(e)
  }

  /** Evaluate a file (C++ evalFile, cached per EvalState); `path` is already resolved (resolveExprPath). */
  evalFile(path: string, pos: PosIdx = noPos): Value {
    const cached = this.fileEvalCache.get(path)
    if (cached !== undefined) return forceAt(cached, pos)
    const text = this.readFileText(path, pos)
    const e = this.parse(text, 'file', path, dirOf(path))
    const t = new Thunk(() => this.eval(e), this.baseEnv)
    this.fileEvalCache.set(path, t)
    return forceAt(t, pos)
  }

  private safeFileType(p: string): string | undefined {
    try { return this.io.fileType(p) } catch { return undefined }
  }
  private isDir(p: string): boolean {
    try { this.io.readDir(p); return true } catch { return false }
  }

  readFileText(path: string, pos: PosIdx = noPos): string {
    if (path.startsWith('\xc2\xabnix-internal\xc2\xbb/')) {
      const c = this.corepkgs.get(path.slice('\xc2\xabnix-internal\xc2\xbb/'.length))
      if (c !== undefined) return c
    }
    try {
      return Buffer.from(this.io.readFile(path)).toString('latin1')
    } catch (e) {
      throw this.ioError(e, path, pos)
    }
  }

  ioError(e: unknown, path: string, pos: PosIdx): EvalError {
    if (e instanceof EvalError) return e
    const code = (e as { code?: string }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return new EvalError(`path '${path}' does not exist`, pos)
    // C++ reads st_size bytes of what it opened: a directory fails that read
    if (code === 'EISDIR') return new EvalError(`read of ${(e as { size?: number }).size ?? 0} bytes: Is a directory`, pos)
    return new EvalError(`${(e as Error).message ?? String(e)}`, pos)
  }

  // ---- messages -----------------------------------------------------------------------------

  showPosIdx(p: PosIdx): string {
    const r = this.positions.resolve(p)
    return r ? showPos(r) : '\xc2\xabnone\xc2\xbb'
  }

  /** Print a warning in C++ format to stderr (`warning: …` with the position's code lines). */
  warn(msg: string, pos: PosIdx = noPos): void {
    this.io.writeStderr(renderError(new EvalError(msg, pos), this.positions, { showTrace: false, level: 'warning' }) + '\n')
  }
  /** `builtins.warn` (C++ logWarning of an error-like message from an expression: no position shown). */
  warnAt(msg: string, _pos: PosIdx): void {
    this.io.writeStderr(renderError(new EvalError(msg, noPos), this.positions, { showTrace: false, level: 'evaluation warning' }) + '\n')
  }

  printValueForError(v: Value): string {
    return printValue(v, { ...errorPrintOptions, positions: this.positions })
  }

  /** `expected X but found Y: value` with the caller's context as a trace frame (C++ forceList/Attrs/Function). */
  typeError(expected: string, v: Value, pos: PosIdx, ctx: string): NixTypeError {
    const e = new NixTypeError(`expected ${expected} but found ${showType(v)}: ${this.printValueForError(v)}`, noPos)
    e.addTrace(pos, ctx)
    return e
  }

  /** C++ forceInt/Float/Bool/String: the error is at `pos`, and any failure gets the context frame. */
  private forceScalar<T>(v: Value, pos: PosIdx, ctx: string, expected: string, check: (v: Value) => T | undefined): T {
    try {
      const w = v instanceof Thunk ? forceThunk(v, pos) : v
      const r = check(w)
      if (r !== undefined) return r
      throw new NixTypeError(`expected ${expected} but found ${showType(w)}: ${this.printValueForError(w)}`, pos)
    } catch (e) {
      if (e instanceof EvalError) e.addTrace(pos, ctx)
      throw e
    }
  }

  callDepthExceeded(pos: PosIdx): never {
    throw new StackOverflowError('stack overflow; max-call-depth exceeded', pos)
  }

  // ---- forcing ------------------------------------------------------------------------------

  force(v: Value, pos: PosIdx = noPos): Value {
    return v instanceof Thunk ? forceThunk(v, pos) : v
  }
  forceAt(v: Value, pos: PosIdx): Value {
    return v instanceof Thunk ? forceThunk(v, pos) : v
  }

  forceInt(v: Value, pos: PosIdx, ctx: string): number | bigint {
    if (typeof v === 'number') return v
    return this.forceScalar(v, pos, ctx, 'an integer', w => (typeof w === 'number' || typeof w === 'bigint' ? w : undefined))
  }

  /** An int or float as a JS number (C++ forceFloat accepts both). */
  forceFloat(v: Value, pos: PosIdx, ctx: string): number {
    return this.forceScalar(v, pos, ctx, 'a float', w => (typeof w === 'number' ? w : typeof w === 'bigint' ? Number(w) : w instanceof NixFloat ? w.value : undefined))
  }

  forceBool(v: Value, pos: PosIdx, ctx: string): boolean {
    if (typeof v === 'boolean') return v
    return this.forceScalar(v, pos, ctx, 'a Boolean', w => (typeof w === 'boolean' ? w : undefined))
  }

  forceList(v: Value, pos: PosIdx, ctx: string): Value[] {
    v = v instanceof Thunk ? forceThunk(v, pos) : v
    if (Array.isArray(v)) return v
    if (v instanceof GenList) return v.toArray()
    throw this.typeError('a list', v, pos, ctx)
  }

  /** A list as it is, for readers that take elements one by one (`GenList.elem`). */
  forceListLazy(v: Value, pos: PosIdx, ctx: string): Value[] | GenList {
    v = v instanceof Thunk ? forceThunk(v, pos) : v
    if (isList(v)) return v
    throw this.typeError('a list', v, pos, ctx)
  }

  forceAttrs(v: Value, pos: PosIdx, ctx: string): Attrs {
    v = v instanceof Thunk ? forceThunk(v, pos) : v
    if (v instanceof Attrs) return v
    throw this.typeError('a set', v, pos, ctx)
  }

  forceFunction(v: Value, pos: PosIdx, ctx: string): Lambda | PrimOp | PrimOpApp | Attrs {
    v = v instanceof Thunk ? forceThunk(v, pos) : v
    if (isFunction(v) || (v instanceof Attrs && v.has('__functor'))) return v as Lambda | PrimOp | PrimOpApp | Attrs
    throw this.typeError('a function', v, pos, ctx)
  }

  /** A string (context ignored), C++ forceString. */
  forceString(v: Value, pos: PosIdx, ctx: string): string {
    if (typeof v === 'string') return v
    return this.forceScalar(v, pos, ctx, 'a string', w => (typeof w === 'string' ? w : w instanceof NixString ? w.s : undefined))
  }

  /** A string with its context. */
  forceStringCtx(v: Value, pos: PosIdx, ctx: string): { s: string; ctx: Context | undefined } {
    return this.forceScalar(v, pos, ctx, 'a string', w => (typeof w === 'string' ? { s: w, ctx: undefined } : w instanceof NixString ? { s: w.s, ctx: w.context } : undefined))
  }

  /** A string that must not have context (C++ forceStringNoCtx). */
  forceStringNoCtx(v: Value, pos: PosIdx, ctx: string): string {
    if (typeof v === 'string') return v
    const r = this.forceStringCtx(v, pos, ctx)
    if (r.ctx !== undefined && r.ctx.size > 0) {
      const first = [...r.ctx][0]!
      const e = new EvalError(`the string '${r.s}' is not allowed to refer to a store path (such as '${contextPath(first)}')`, pos)
      e.addTrace(pos, ctx)
      throw e
    }
    return r.s
  }

  evalBool(code: (env: Env) => Value, env: Env, pos: PosIdx, ctx: string): boolean {
    try {
      const v = code(env)
      if (typeof v === 'boolean') return v
      throw new NixTypeError(`expected a Boolean but found ${showType(v)}: ${this.printValueForError(v)}`, pos)
    } catch (e) {
      if (e instanceof EvalError) e.addTrace(pos, ctx)
      throw e
    }
  }

  evalAttrs(code: (env: Env) => Value, env: Env, pos: PosIdx, ctx: string): Attrs {
    try {
      const v = code(env)
      if (v instanceof Attrs) return v
      throw new NixTypeError(`expected a set but found ${showType(v)}: ${this.printValueForError(v)}`, noPos)
    } catch (e) {
      if (e instanceof EvalError) e.addTrace(pos, ctx)
      throw e
    }
  }

  /** Force a value and everything inside it (C++ forceValueDeep; each level is a call-depth level). */
  forceDeep(v: Value): void {
    // Visited thunks and sets are marked with this walk's epoch (C++ keeps a set of Value*).
    const epoch = ++deepEpoch
    const max = this.settings.maxCallDepth
    // A list has no mark of its own: one reached through its thunk is marked there; one stored
    // directly (by an earlier replacement below, or a builtin) goes in this set, so a list is
    // walked at most twice per walk (through a thunk, then directly) and shared structure stays
    // linear. Thunk-reached lists are not added: a set entry per list costs more than the
    // young-generation copies the replacement saves.
    const directLists = new Set<Value[]>()
    // `slots[i]` is where `v` was read from (a list, or a literal set's slot): a thunk this
    // walk evaluates is replaced there by its value before the walk goes inside, so that the
    // thunk dies young instead of being copied and promoted with the structure. Unobservable
    // (an evaluated thunk and its value print, compare and force alike), except for lists and
    // functions: a list stays behind a thunk that only copied it (printing keys `«repeated»` on
    // that thunk, as C++ on the copied Value; see value.ts `ownsList`), and `==` compares
    // functions by what is stored (see compile.ts `settled`).
    const go = (v: Value, slots?: Value[] | Attrs, i?: number): void => {
      // determinePos only where it is used (a failure, or an unevaluated thunk): it is per value.
      if (this.depth++ > max) this.callDepthExceeded(this.determinePos(v))
      let w = v
      const direct = !(v instanceof Thunk)
      if (v instanceof Thunk) {
        w = v.code === null ? v.value as Value : forceThunk(v, this.determinePos(v))
        if (markForcedThunk(v, epoch)) { this.depth--; return }
        if (slots !== undefined && (isList(w) ? ownsList(v) : !isFunction(w))) {
          if (slots instanceof Attrs) slots.setSlot(i!, w)
          else slots[i!] = w
        }
      }
      if (typeof w !== 'object' || w === null) { this.depth--; return }
      if (w instanceof Attrs) {
        if (w.mark === epoch) { this.depth--; return }
        w.mark = epoch
        const sh = w.shape
        if (sh !== undefined) {
          if (sh.symOrderIdx === undefined) sh.symOrderIdx = attrsSymbolOrder(this, w).map(k => sh.index.get(k)!)
          for (const i of sh.symOrderIdx) {
            const x = w.slot(i)
            // A plain value needs no visit (the depth check is the only thing a visit would do).
            if ((typeof x !== 'object' || x === null) && this.depth <= max) continue
            try {
              go(x, w, i)
            } catch (e) {
              if (e instanceof EvalError) e.addTrace(sh.pos[i]!, `while evaluating the attribute '${printIdentifier(sh.names[i]!)}'`)
              throw e
            }
          }
        } else {
          for (const k of attrsSymbolOrder(this, w)) {
            try {
              go(w.get(k)!)
            } catch (e) {
              if (e instanceof EvalError) e.addTrace(w.posOf(k), `while evaluating the attribute '${printIdentifier(k)}'`)
              throw e
            }
          }
        }
      } else if (isList(w)) {
        if (w instanceof GenList) w = w.toArray()
        if (directLists.has(w)) { this.depth--; return }
        if (direct) directLists.add(w)
        for (let i = 0; i < w.length; i++) {
          const x = w[i]!
          if ((typeof x !== 'object' || x === null) && this.depth <= max) continue
          try {
            go(x, w, i)
          } catch (e) {
            if (e instanceof EvalError) e.addTrace(noPos, `while evaluating list element at index ${i}`)
            throw e
          }
        }
      }
      this.depth--
    }
    go(v)
  }

  // ---- calling ------------------------------------------------------------------------------

  callFunction(fn: Value, arg: Value, pos: PosIdx): Value {
    if (fn instanceof Lambda) {
      const info = fn.info
      if (info.formals === undefined) {
        if (this.depth++ > this.settings.maxCallDepth) this.callDepthExceeded(pos)
        const env = new Env(fn.env, 1)
        env.s1 = arg
        let r: Value
        try {
          r = info.body(env)
        } catch (e) {
          if (this.settings.showTrace && e instanceof EvalError) this.addCallTraces(e, info, pos)
          throw e
        }
        this.depth--
        return r
      }
    }
    return this.callFunctionN(fn, [arg], pos)
  }

  private addCallTraces(e: EvalError, info: LambdaInfo, pos: PosIdx): void {
    e.addTrace(info.pos, info.name !== undefined ? `while calling '${info.name}'` : 'while calling anonymous lambda')
    if (pos !== noPos) e.addTrace(pos, 'from call site')
  }

  /** Apply `fn` to `args` in turn (C++ callFunction with several arguments: one call-depth level). */
  callFunctionN(fn: Value, args: Value[], pos: PosIdx): Value {
    if (this.depth++ > this.settings.maxCallDepth) this.callDepthExceeded(pos)
    const r = this.applyArgs(fn instanceof Thunk ? forceThunk(fn, pos) : fn, args, 0, pos)
    this.depth--
    return r
  }

  /** Apply a forced function to args[i…] without touching the call depth. */
  private applyArgs(cur: Value, args: Value[], i: number, pos: PosIdx): Value {
    const n = args.length
    while (i < n) {
      if (cur instanceof Lambda) {
        // Enter the lambda, and directly its inner lambdas while arguments remain (`a: b: …`
        // called with two arguments): the intermediate closures are never observable.
        let info = cur.info as LambdaInfoX
        let parent = cur.env
        for (;;) {
          const env = new Env(parent, info.envSize)
          const arg = args[i++]!
          if (info.formals === undefined) env.s1 = arg
          else this.bindFormals(info, env, arg, pos)
          const inner = info.inner
          if (inner !== undefined && i < n) { parent = env; info = inner as LambdaInfoX; continue }
          try {
            cur = info.body(env)
          } catch (e) {
            if (this.settings.showTrace && e instanceof EvalError) this.addCallTraces(e, info, pos)
            throw e
          }
          break
        }
      } else if (cur instanceof PrimOp) {
        const arity = cur.arity
        if (n - i >= arity) {
          const a = arity === n && i === 0 ? args : args.slice(i, i + arity)
          i += arity
          cur = cur.impl(a, pos)
        } else {
          cur = new PrimOpApp(cur, args.slice(i))
          i = n
        }
      } else if (cur instanceof PrimOpApp) {
        const prim = cur.primop
        const have = cur.args.length
        const need = prim.arity - have
        if (n - i >= need) {
          const a = cur.args.concat(args.slice(i, i + need))
          i += need
          cur = prim.impl(a, pos)
        } else {
          cur = new PrimOpApp(prim, cur.args.concat(args.slice(i)))
          i = n
        }
      } else if (cur instanceof Attrs && cur.has('__functor')) {
        const functor = cur.get('__functor')!
        // C++: call the functor with the set, then with the argument (one two-argument call),
        // at the position of the `__functor` attribute.
        try {
          cur = this.callFunctionN(functor, [cur, args[i++]!], cur.posOf('__functor'))
        } catch (e) {
          if (e instanceof EvalError) e.addTrace(pos, "while calling a functor (an attribute set with a '__functor' attribute)")
          throw e
        }
      } else {
        throw new NixTypeError(`attempt to call something which is not a function but ${showType(cur)}: ${this.printValueForError(cur)}`, pos)
      }
      if (i < n && cur instanceof Thunk) cur = forceThunk(cur, pos)
    }
    return cur
  }

  private bindFormals(info: LambdaInfoX, env: Env, arg: Value, pos: PosIdx): void {
    let attrs: Attrs
    try {
      attrs = this.forceAttrs(arg, info.pos, 'while evaluating the value passed for the lambda argument')
    } catch (e) {
      if (e instanceof EvalError && pos !== noPos) e.addTrace(pos, 'from call site')
      throw e
    }
    let slot = 1
    if (info.arg !== undefined) setSlot(env, slot++, arg)
    const formals = info.formals!
    let used = 0
    for (let k = 0; k < formals.length; k++) {
      const f = formals[k]!
      const v = attrs.get(f.name)
      if (v !== undefined) {
        setSlot(env, slot + k, v)
        used++
      } else if (f.def !== undefined) {
        setSlot(env, slot + k, info.defLazies[k]!(env))
      } else {
        const e = new MissingArgumentError(`function '${info.name ?? 'anonymous lambda'}' called without required argument '${printIdentifier(f.name)}'`, info.pos)
        e.addTrace(pos, 'from call site')
        throw e
      }
    }
    if (!info.ellipsis && used !== attrs.size) {
      for (const k of attrsSymbolOrder(this, attrs)) {
        if (formals.some(f => f.name === k)) continue
        const sugg = bestMatches(formals.map(f => f.name), k)
        const e = new NixTypeError(`function '${info.name ?? 'anonymous lambda'}' called with unexpected argument '${printIdentifier(k)}'`, info.pos)
        if (sugg.length > 0) e.suggestions = suggestionText(sugg)
        e.addTrace(pos, 'from call site')
        throw e
      }
    }
  }

  /** Apply a function value to already-evaluated arguments (for builtins such as map). */
  call(fn: Value, arg: Value, pos: PosIdx = noPos): Value {
    return this.callFunction(fn instanceof Thunk ? forceThunk(fn, pos) : fn, arg, pos)
  }
  /**
   * `fn a b` as one call (callFunctionN with two arguments). For `x: y: …`, the common case
   * (foldl', sort comparators, `a + b`-style calls), the two frames are built directly: no
   * argument array and no trip through applyArgs; the depth and traces are applyArgs's.
   */
  call2(fn: Value, a: Value, b: Value, pos: PosIdx = noPos): Value {
    if (fn instanceof Lambda) {
      const info = fn.info
      const inner = info.inner
      if (info.formals === undefined && inner !== undefined && inner.formals === undefined) {
        if (this.depth++ > this.settings.maxCallDepth) this.callDepthExceeded(pos)
        let r: Value
        try {
          const outer = new Env(fn.env, 1)
          outer.s1 = a
          const env = new Env(outer, 1)
          env.s1 = b
          r = inner.body(env)
        } catch (e) {
          if (this.settings.showTrace && e instanceof EvalError) this.addCallTraces(e, inner, pos)
          throw e
        }
        this.depth--
        return r
      }
    }
    return this.callFunctionN(fn, [a, b], pos)
  }

  // ---- selection ----------------------------------------------------------------------------

  /** `a.name` after the compiled fast path missed: a type error or "attribute missing". */
  selectOne(a: Value, name: string, pos: PosIdx): Value {
    const attrs = this.forceAttrs(a, pos, 'while selecting an attribute')
    const j = attrs.get(name)
    if (j === undefined) throw this.missingAttr(attrs, name, pos)
    return this.force(j, attrs.posOf(name) !== noPos ? attrs.posOf(name) : pos)
  }

  missingAttr(attrs: Attrs, name: string, pos: PosIdx): EvalError {
    const sugg = bestMatches(attrs.keys(), name)
    const e = new EvalError(`attribute '${printIdentifier(name)}' missing`, pos)
    if (sugg.length > 0) e.suggestions = suggestionText(sugg)
    return e
  }

  /** Positions inside derivation-internal.nix get no "while evaluating the attribute" frames. */
  isInternalPos(p: PosIdx): boolean {
    const o = this.positions.originOf(p)
    return o !== undefined && o.path === '\xc2\xabnix-internal\xc2\xbb/derivation-internal.nix'
  }

  // ---- operators ----------------------------------------------------------------------------

  updateAttrs(a: Attrs, b: Attrs): Attrs {
    if (a.size === 0) return b
    if (b.size === 0) return a
    const map = new Map(a.entries())
    const pos = a.positions()
    for (const [k, v] of b.entries()) {
      map.set(k, v)
      const p = b.posOf(k)
      if (p !== noPos) pos.set(k, p)
      else pos.delete(k)
    }
    return new Attrs(map, pos)
  }

  /** `+` and string interpolation (C++ ExprConcatStrings::eval). */
  /**
   * C++ ExprConcatStrings::eval (`+` and interpolation): part `i` is evaluated by `get(i)` only
   * after the parts before it were coerced, so a bad first operand is reported before a
   * failing second one.
   */
  concatStrings(count: number, get: (i: number) => Value, poss: PosIdx[], forceString: boolean, pos: PosIdx): Value {
    let first = !forceString
    let firstType: 'string' | 'int' | 'float' | 'path' = 'string'
    let n: number | bigint = 0
    let nf = 0
    let s = ''
    const ctx = new Set<ContextElem>()
    for (let i = 0; i < count; i++) {
      const v = this.force(get(i), poss[i])
      const ipos = poss[i]!
      if (first) {
        firstType = typeof v === 'number' || typeof v === 'bigint' ? 'int' : v instanceof NixFloat ? 'float' : v instanceof NixPath ? 'path' : 'string'
      }
      if (firstType === 'int') {
        if (typeof v === 'number' || typeof v === 'bigint') {
          const r = intFromBig(BigInt(n) + BigInt(v))
          if (r === undefined) throw new EvalError(`integer overflow in adding ${n} + ${v}`, ipos)
          n = r
        } else if (v instanceof NixFloat) {
          firstType = 'float'
          nf = Number(n) + v.value
        } else throw new EvalError(`cannot add ${showType(v)} to an integer`, ipos)
      } else if (firstType === 'float') {
        if (typeof v === 'number' || typeof v === 'bigint') nf += Number(v)
        else if (v instanceof NixFloat) nf += v.value
        else throw new EvalError(`cannot add ${showType(v)} to a float`, ipos)
      } else {
        s += this.coerceToString(ipos, v, ctx, 'while evaluating a path segment', false, firstType === 'string', !first)
      }
      first = false
    }
    if (firstType === 'int') return n
    if (firstType === 'float') return new NixFloat(nf)
    if (firstType === 'path') {
      if (ctx.size > 0) throw new EvalError('a string that refers to a store path cannot be appended to a path', pos)
      return new NixPath(canonPathStr(s))
    }
    return ctx.size === 0 ? s : new NixString(s, ctx)
  }

  // ---- coercion -----------------------------------------------------------------------------

  /**
   * C++ coerceToString. `ctxOut` collects the context; `coerceMore` also converts bools, ints,
   * floats, null and lists (toString, derivation attributes); `copyToStore` turns paths into
   * store paths.
   */
  coerceToString(pos: PosIdx, v: Value, ctxOut: Set<ContextElem> | undefined, errCtx: string,
    coerceMore = false, copyToStore = true, canonicalizePath = true): string {
    v = this.force(v, pos)
    if (typeof v === 'string') return v
    if (v instanceof NixString) {
      if (ctxOut) for (const c of v.context) ctxOut.add(c)
      return v.s
    }
    if (v instanceof NixPath) {
      if (!canonicalizePath && !copyToStore) return v.path
      if (copyToStore) {
        const sp = this.copyPathToStore(v.path, pos)
        ctxOut?.add(sp)
        return sp
      }
      return v.path
    }
    if (v instanceof Attrs) {
      const ts = v.get('__toString')
      if (ts !== undefined) {
        const r = this.callFunction(this.force(ts, pos), v, pos)
        return this.coerceToString(pos, r, ctxOut, 'while evaluating the result of the `__toString` attribute', coerceMore, copyToStore)
      }
      const op = v.get('outPath')
      if (op === undefined) {
        const e = new NixTypeError(`cannot coerce ${showType(v)} to a string: ${this.printValueForError(v)}`, noPos)
        e.addTrace(pos, errCtx)
        throw e
      }
      return this.coerceToString(pos, op, ctxOut, errCtx, coerceMore, copyToStore, canonicalizePath)
    }
    if (coerceMore) {
      if (v === true) return '1'
      if (v === false || v === null) return ''
      if (typeof v === 'number' || typeof v === 'bigint') return String(v)
      if (v instanceof NixFloat) return formatFixed6(v.value)
      if (isList(v)) {
        if (v instanceof GenList) v = v.toArray()
        let result = ''
        for (let k = 0; k < v.length; k++) {
          const x = v[k]!
          try {
            result += this.coerceToString(pos, x, ctxOut, 'while evaluating one element of the list', coerceMore, copyToStore, canonicalizePath)
          } catch (e) {
            if (e instanceof EvalError) e.addTrace(pos, errCtx)
            throw e
          }
          if (k < v.length - 1) {
            const xf = this.force(x, pos)
            if (!isList(xf) || xf.length !== 0) result += ' '
          }
        }
        return result
      }
    }
    const e = new NixTypeError(`cannot coerce ${showType(v)} to a string: ${this.printValueForError(v)}`, noPos)
    e.addTrace(pos, errCtx)
    throw e
  }

  /** C++ coerceToPath: a path value, or a string starting with `/`. */
  coerceToPath(pos: PosIdx, v: Value, ctxOut: Set<ContextElem> | undefined, errCtx: string): string {
    try {
      v = this.force(v, pos)
    } catch (e) {
      if (e instanceof EvalError) e.addTrace(pos, errCtx)
      throw e
    }
    if (v instanceof NixPath) return v.path
    if (v instanceof Attrs) {
      // A `__toString` result may itself be a path.
      const f = v.get('__toString')
      if (f !== undefined) return this.coerceToPath(pos, this.callFunction(this.force(f, pos), v, pos), ctxOut, errCtx)
    }
    const s = this.coerceToString(pos, v, ctxOut, errCtx, false, false)
    if (!s.startsWith('/')) {
      const e = new EvalError(`string '${s}' doesn't represent an absolute path`, pos)
      e.addTrace(pos, errCtx)
      throw e
    }
    return canonPathStr(s)
  }

  copyPathToStore(path: string, pos: PosIdx): string {
    const cached = this.srcToStore.get(path)
    if (cached !== undefined) return cached
    const sp = (this.hooks.copyPathToStore ?? copySourcePath)(this, path, pos)
    this.srcToStore.set(path, sp)
    return sp
  }

  // ---- equality -----------------------------------------------------------------------------

  eqValues(a: Value, b: Value, pos: PosIdx, ctx: string): boolean {
    a = this.force(a, pos)
    b = this.force(b, pos)
    if (typeof a === 'number') {
      if (typeof b === 'number') return a === b
      if (b instanceof NixFloat) return a === b.value
      return false
    }
    if (typeof a === 'string' || a instanceof NixString) {
      if (typeof b === 'string') return (typeof a === 'string' ? a : a.s) === b
      if (b instanceof NixString) return (typeof a === 'string' ? a : a.s) === b.s
      return false
    }
    if (typeof a === 'boolean' || a === null) return a === b
    if (typeof a === 'bigint') {
      if (typeof b === 'bigint') return a === b
      if (b instanceof NixFloat) return Number(a) === b.value
      return false
    }
    if (a instanceof NixFloat) {
      if (b instanceof NixFloat) return a.value === b.value
      if (typeof b === 'number' || typeof b === 'bigint') return a.value === Number(b)
      return false
    }
    if (a instanceof NixPath) return b instanceof NixPath && a.path === b.path
    if (isList(a)) {
      if (!isList(b) || a.length !== b.length) return false
      a = listItems(a)
      b = listItems(b)
      for (let i = 0; i < a.length; i++) {
        const x = a[i]!
        const y = b[i]!
        if (x === y) continue
        if (!this.eqValues(x, y, pos, ctx)) return false
      }
      return true
    }
    if (a instanceof Attrs) {
      if (!(b instanceof Attrs)) return false
      if (this.isDerivation(a) && this.isDerivation(b)) {
        const i = a.get('outPath')
        const j = b.get('outPath')
        if (i !== undefined && j !== undefined) return this.eqValues(i, j, pos, ctx)
      }
      if (a.size !== b.size) return false
      for (const k of attrsSymbolOrder(this, a)) {
        const y = b.get(k)
        if (y === undefined) return false
        const x = a.get(k)!
        if (x === y) continue
        if (!this.eqValues(x, y, pos, ctx)) return false
      }
      return true
    }
    return false
  }

  isDerivation(a: Attrs): boolean {
    const t = a.get('type')
    if (t === undefined) return false
    const v = this.force(t)
    return v === 'derivation' || (v instanceof NixString && v.s === 'derivation')
  }

  // ---- assertions ---------------------------------------------------------------------------

  assertionFailed(exprStr: string, pos: PosIdx, eqSides: (() => [Value, Value]) | undefined): never {
    if (eqSides) {
      try {
        const [a, b] = eqSides()
        this.assertEqValues(a, b, noPos, 'in an equality assertion')
      } catch (e) {
        if (e instanceof AssertionError) e.addTrace(pos, `while evaluating the condition of the assertion '${exprStr}'`)
        throw e
      }
    }
    throw new AssertionError(`assertion '${exprStr}' failed`, pos)
  }

  /** Throws an AssertionError describing the first difference (C++ assertEqValues). */
  assertEqValues(a: Value, b: Value, pos: PosIdx, ctx: string): void {
    const ra = a
    const rb = b
    a = this.force(a, pos)
    b = this.force(b, pos)
    if (ra === rb && typeof ra === 'object' && ra !== null) return
    const pv = (v: Value): string => this.printValueForError(v)
    const fail = (msg: string): never => { throw new AssertionError(msg, noPos) }
    const isNum = (v: Value): boolean => typeof v === 'number' || typeof v === 'bigint' || v instanceof NixFloat
    if (isNum(a) && isNum(b)) {
      if (this.eqValues(a, b, pos, ctx)) return
      fail(`${showType(a)} with value '${pv(a)}' is not equal to ${showType(b)} with value '${pv(b)}'`)
    }
    if (typeName(a) !== typeName(b)) fail(`${showType(a)} of value '${pv(a)}' is not equal to ${showType(b)} of value '${pv(b)}'`)
    switch (typeName(a)) {
      case 'bool': if (a !== b) fail(`boolean '${pv(a)}' is not equal to boolean '${pv(b)}'`); return
      case 'string': if (!this.eqValues(a, b, pos, ctx)) fail(`string '${pv(a)}' is not equal to string '${pv(b)}'`); return
      case 'path': if (!this.eqValues(a, b, pos, ctx)) fail(`path '${pv(a)}' is not equal to path '${pv(b)}'`); return
      case 'null': return
      case 'list': {
        const la = listItems(a as Value[] | GenList)
        const lb = listItems(b as Value[] | GenList)
        if (la.length !== lb.length) fail(`list of size '${la.length}' is not equal to list of size '${lb.length}', left hand side is '${pv(a)}', right hand side is '${pv(b)}'`)
        for (let i = 0; i < la.length; i++) {
          try {
            this.assertEqValues(la[i]!, lb[i]!, pos, ctx)
          } catch (e) {
            if (e instanceof EvalError) e.addTrace(pos, `while comparing list element ${i}`)
            throw e
          }
        }
        return
      }
      case 'set': {
        const sa = a as Attrs
        const sb = b as Attrs
        if (this.isDerivation(sa) && this.isDerivation(sb)) {
          const i = sa.get('outPath')
          const j = sb.get('outPath')
          if (i !== undefined && j !== undefined) {
            try {
              this.assertEqValues(i, j, pos, ctx)
            } catch (e) {
              if (e instanceof EvalError) e.addTrace(pos, "while comparing a derivation by its 'outPath' attribute")
              throw e
            }
            return
          }
        }
        if (sa.size !== sb.size) fail(`attribute names of attribute set '${pv(a)}' differs from attribute set '${pv(b)}'`)
        const ka = attrsSymbolOrder(this, sa)
        const kb = attrsSymbolOrder(this, sb)
        for (let n = 0; n < ka.length; n++) {
          const k = ka[n]!
          if (k !== kb[n]) {
            if (!sb.has(k)) fail(`attribute name '${k}' is contained in '${pv(a)}', but not in '${pv(b)}'`)
            fail(`attribute name '${kb[n]!}' is missing in '${pv(a)}', but is contained in '${pv(b)}'`)
          }
          try {
            this.assertEqValues(sa.get(k)!, sb.get(k)!, pos, ctx)
          } catch (e) {
            if (e instanceof EvalError) {
              if (sb.posOf(k) !== noPos) e.addTrace(sb.posOf(k), 'where right hand side is')
              if (sa.posOf(k) !== noPos) e.addTrace(sa.posOf(k), 'where left hand side is')
              e.addTrace(pos, `while comparing attribute '${printIdentifier(k)}'`)
            }
            throw e
          }
        }
        return
      }
      case 'lambda': fail('distinct functions and immediate comparisons of identical functions compare as unequal'); return
      default: fail(`cannot compare ${showType(a)} with ${showType(b)}`)
    }
  }

  // ---- misc ---------------------------------------------------------------------------------

  /** `{ file, line, column }` of a position (`__curPos`, unsafeGetAttrPos), or null. */
  mkPosAttrs(pos: PosIdx): Value {
    const p = this.positions.resolve(pos)
    // C++ mkPos: only positions in files are reported; `-E` strings and stdin give null.
    if (!p || p.origin.kind !== 'file') return null
    const m = new Map<string, Value>()
    m.set('column', p.column)
    m.set('file', p.origin.path)
    m.set('line', p.line)
    return new Attrs(m)
  }

  /** Float formatting as `toString` does (C++ std::to_string: `%f`). */
  static floatToString(x: number): string { return formatFixed6(x) }
  static floatToShow(x: number): string { return formatG(x) }
}

function typeName(v: Value): string {
  if (typeof v === 'number' || typeof v === 'bigint') return 'int'
  if (typeof v === 'string' || v instanceof NixString) return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (v === null) return 'null'
  if (v instanceof NixFloat) return 'float'
  if (v instanceof NixPath) return 'path'
  if (isList(v)) return 'list'
  if (v instanceof Attrs) return 'set'
  return 'lambda'
}

let deepEpoch = 0

/** Attribute names in C++ Bindings order (symbol creation order). */
export function attrsSymbolOrder(st: EvalState, a: Attrs): string[] {
  return a.symbolOrder(names => [...names].sort(st.symbols.compare)) as string[]
}

export function dirOf(p: string): string {
  const i = p.lastIndexOf('/')
  if (i <= 0) return '/'
  return p.slice(0, i)
}

export function canonPathStr(p: string): string {
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') { out.pop(); continue }
    out.push(seg)
  }
  return '/' + out.join('/')
}

/** The store path of a context element (`=drv`, `!out!drv`, or a plain path). */
export function contextPath(c: ContextElem): string {
  if (c.startsWith('=')) return c.slice(1)
  if (c.startsWith('!')) return c.slice(c.indexOf('!', 1) + 1)
  return c
}

// ---- suggestions (C++ Suggestions::bestMatches: Levenshtein distance) ----

function levenshtein(a: string, b: string): number {
  const m = a.length
  const n = b.length
  let prev = Array.from({ length: n + 1 }, (_, j) => j)
  for (let i = 1; i <= m; i++) {
    const cur = [i]
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[n]!
}

/** C++ Suggestions::bestMatches(…).trim(): up to 5 names within edit distance 2, closest first. */
export function bestMatches(candidates: readonly string[], query: string): string[] {
  const scored = candidates.map(c => ({ c, d: levenshtein(query, c) })).filter(x => x.d <= 2)
  scored.sort((x, y) => x.d - y.d || compareBytes(x.c, y.c))
  return scored.slice(0, 5).map(x => x.c)
}

export function suggestionText(s: string[]): string {
  if (s.length === 1) return `Did you mean ${s[0]}?`
  return `Did you mean one of ${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}?`
}

/** Mark the variables that resolve to the base env (so the compiler may inline builtins). */
function markBaseVars(e: Expr, env: StaticEnv, base: StaticEnv): void {
  // Depth of the base env from `env`.
  let depth = 0
  for (let s: StaticEnv | undefined = env; s && s !== base; s = s.up) depth++
  walk(e, depth)
  function walk(e: Expr, d: number): void {
    switch (e.kind) {
      case 'var': (e as ExprVar & { isBase?: boolean }).isBase = !e.fromWith && e.level === d; return
      case 'select': walk(e.e, d); if (e.def) walk(e.def, d); for (const a of e.path) if (a.expr) walk(a.expr, d); return
      case 'hasAttr': walk(e.e, d); for (const a of e.path) if (a.expr) walk(a.expr, d); return
      case 'attrs': {
        const inner = e.rec ? d + 1 : d
        for (const def of e.attrs.values()) walk(def.e, def.kind === 'plain' ? inner : def.kind === 'inherited' ? d : inner + 1)
        if (e.inheritFrom) for (const x of e.inheritFrom) walk(x, inner)
        for (const x of e.dynamic) { walk(x.nameExpr, inner); walk(x.valueExpr, inner) }
        return
      }
      case 'list': for (const x of e.elems) walk(x, d); return
      case 'lambda': if (e.formals) for (const f of e.formals) if (f.def) walk(f.def, d + 1); walk(e.body, d + 1); return
      case 'call': walk(e.fn, d); for (const a of e.args) walk(a, d); return
      case 'let':
        for (const def of e.attrs.attrs.values()) walk(def.e, def.kind === 'plain' ? d + 1 : def.kind === 'inherited' ? d : d + 2)
        if (e.attrs.inheritFrom) for (const x of e.attrs.inheritFrom) walk(x, d + 1)
        walk(e.body, d + 1)
        return
      case 'with': walk(e.attrs, d); walk(e.body, d + 1); return
      case 'if': walk(e.cond, d); walk(e.then, d); walk(e.else, d); return
      case 'assert': walk(e.cond, d); walk(e.body, d); return
      case 'not': walk(e.e, d); return
      case 'binop': walk(e.e1, d); walk(e.e2, d); return
      case 'concatStrings': for (const [, x] of e.parts) walk(x, d); return
      default: return
    }
  }
}
