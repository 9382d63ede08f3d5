/**
 * Compiles a bound AST (bind.ts) into JS closures `(env) => Value` — the evaluator's "eval"
 * methods (C++ `Expr::eval`). Each closure returns a forced value; `lazy()` gives the value to
 * store where laziness is required (function arguments, attribute values, list elements,
 * let bindings): constants and variables directly, everything else as a new Thunk (C++
 * `maybeThunk`).
 *
 * Hot paths are specialised: variable access by depth, calls with one argument, and the
 * desugared arithmetic/comparison calls (`__sub`, `__lessThan`, …) when they resolve to the
 * builtins (not shadowed), inlined with C++ Nix's semantics and error traces.
 */
import type { AttrName, Expr, ExprAttrs, ExprCall, ExprLambda, ExprVar, ExprWithRef } from './ast.js'
import { Env, envValues, setSlot, slotReader } from './env.js'
import { EvalError, NixTypeError, UndefinedVarError } from './errors.js'
import type { EvalState } from './eval-state.js'
import { forceAt, forceThunk } from './force.js'
import { noPos, type PosIdx } from './pos.js'
import { printIdentifier, showAttrPath, showExpr } from './show.js'
import {
  Attrs, Shape, type Code, type Formal, Lambda, type LambdaInfo, NixFloat, NixPath, NixString, Thunk, type Value,
  type ContextElem, FRESH_LIST, intFromBig, isFunction, isList, showType,
} from './value.js'
import { printValue } from './print.js'

type Lazy = (env: Env) => Value

const MAX_SAFE = 9007199254740991
const EMPTY_LIST: Value[] = []

/**
 * A variable's value to store lazily: an evaluated thunk is replaced by its value, so that the
 * thunk (and the frame around it) can be collected sooner. Not for lists: the thunk holding a
 * list is its identity for `«repeated»` (unless it is the list literal's own, value.ts
 * `ownsList`) and carries deep forcing's mark. Not for functions: `==` finds two references
 * to one function equal only by identity of what is stored (C++ compares Value pointers), and
 * a copy stored before the thunk was forced holds the thunk.
 */
function settled(v: Value): Value {
  if (v instanceof Thunk && v.code === null) {
    const w = v.value as Value
    if (!isList(w) && !isFunction(w)) return w
  }
  return v
}

export class Compiler {
  constructor(private readonly st: EvalState) {}

  compile(e: Expr): Code {
    const st = this.st
    switch (e.kind) {
      case 'int': { const v = e.value; return () => v }
      case 'float': { const v = new NixFloat(e.value); return () => v }
      case 'string': { const v = e.value; return () => v }
      case 'path': { const v = new NixPath(e.value); return () => v }
      case 'var': return this.compileVar(e)
      case 'select': return this.compileSelect(e.e, e.path, e.def, e.pos)
      case 'hasAttr': return this.compileHasAttr(e.e, e.path)
      case 'attrs': return this.compileAttrs(e)
      case 'list': {
        const elems = e.elems.map(x => this.lazy(x))
        const n = elems.length
        if (n === 0) return () => []
        // Array literals, not `new Array`: V8 tracks survival per literal site and allocates a
        // site's arrays in the old generation once most of them survive (pretenuring), so the
        // lists of a big structure are not copied twice by the young-generation GC.
        const [l0, l1, l2, l3] = elems
        switch (n) {
          case 1: return env => [l0!(env)]
          case 2: return env => [l0!(env), l1!(env)]
          case 3: return env => [l0!(env), l1!(env), l2!(env)]
          case 4: return env => [l0!(env), l1!(env), l2!(env), l3!(env)]
        }
        return env => {
          const out = new Array<Value>(n)
          for (let i = 0; i < n; i++) out[i] = elems[i]!(env)
          return out
        }
      }
      case 'lambda': return this.compileLambda(e)
      case 'call': return this.compileCall(e)
      case 'let': return this.compileLet(e.attrs, e.body)
      case 'with': {
        const attrs = this.lazy(e.attrs)
        const body = this.compile(e.body)
        return env => {
          const env2 = new Env(env, 1)
          env2.s1 = attrs(env)
          return body(env2)
        }
      }
      case 'if': {
        const cond = this.compile(e.cond)
        const then = this.compile(e.then)
        const els = this.compile(e.else)
        const pos = e.pos
        return env => (st.evalBool(cond, env, pos, 'while evaluating a branch condition') ? then(env) : els(env))
      }
      case 'assert': return this.compileAssert(e.cond, e.body, e.pos)
      case 'not': {
        const x = this.compile(e.e)
        const pos = exprPos(e.e)
        return env => !st.evalBool(x, env, pos, 'in the argument of the not operator')
      }
      case 'binop': return this.compileBinOp(e.op, e.e1, e.e2, e.pos)
      case 'concatStrings': return this.compileConcat(e.parts, e.forceString, e.pos)
      case 'curPos': {
        const pos = e.pos
        return () => st.mkPosAttrs(pos)
      }
      case 'inheritFrom': {
        const read = slotReader(e.displ + 1)
        return env => forceAt(read(env) as Value, noPos)
      }
    }
  }

  /** The value to store for lazy use: constants and variables directly, otherwise a thunk. */
  lazy(e: Expr): Lazy {
    switch (e.kind) {
      case 'int': case 'float': case 'string': case 'path': {
        const c = this.compile(e)
        const v = c(null as unknown as Env)
        return () => v
      }
      case 'list':
        // C++ ExprList::maybeThunk: `[ ]` is the shared empty list, never a thunk.
        if (e.elems.length === 0) return () => EMPTY_LIST
        // A list literal's thunk owns the list it makes (value.ts ownsList).
        return this.deferred(e, FRESH_LIST)
      case 'var': {
        if (e.fromWith) break
        const code = this.compile(e)
        const read = slotReader(e.displ + 1)
        switch (e.level) {
          case 0: return env => { const v = read(env) as Value | undefined; return v !== undefined ? settled(v) : new Thunk(code, env) }
          case 1: return env => { const v = read(env.up!) as Value | undefined; return v !== undefined ? settled(v) : new Thunk(code, env) }
          default: {
            const level = e.level
            return env => {
              let en = env
              for (let l = level; l > 0; l--) en = en.up!
              const v = read(en) as Value | undefined
              return v !== undefined ? settled(v) : new Thunk(code, env)
            }
          }
        }
      }
      default: break
    }
    return this.deferred(e, undefined)
  }

  /** A thunk of `e` compiled on first force: most of a big file (nixpkgs) is never evaluated. */
  private deferred(e: Expr, initial: unknown): Lazy {
    let code: Code | undefined
    const stub: Code = (env, p, a) => {
      if (code === undefined) code = this.compile(e)
      return code(env, p, a)
    }
    if (initial === undefined) return env => new Thunk(code ?? stub, env)
    return env => {
      const t = new Thunk(code ?? stub, env)
      t.value = initial
      return t
    }
  }

  private compileVar(e: ExprVar): Code {
    const pos = e.pos
    if (e.fromWith) return this.compileWithVar(e, e.fromWith)
    const read = slotReader(e.displ + 1)
    const force = (v: Value): Value => (v instanceof Thunk ? forceThunk(v, pos) : v)
    switch (e.level) {
      case 0: return env => force(read(env) as Value)
      case 1: return env => force(read(env.up!) as Value)
      case 2: return env => force(read(env.up!.up!) as Value)
      case 3: return env => force(read(env.up!.up!.up!) as Value)
      default: {
        const level = e.level
        return env => {
          let en = env
          for (let l = level; l > 0; l--) en = en.up!
          return force(read(en) as Value)
        }
      }
    }
  }

  private compileWithVar(e: ExprVar, fromWith: ExprWithRef): Code {
    const st = this.st
    const name = e.name
    const pos = e.pos
    const level = e.level
    return env => {
      let en = env
      for (let l = level; l > 0; l--) en = en.up!
      let w: ExprWithRef | undefined = fromWith
      for (;;) {
        const attrs = st.forceAttrs(en.s1 as Value, w.pos, 'while evaluating the first subexpression of a with expression')
        const v = attrs.get(name)
        if (v !== undefined) return forceAt(v, pos)
        if (!w.parentWith) throw new UndefinedVarError(`undefined variable '${name}'`, pos)
        for (let l = w.prevWith; l > 0; l--) en = en.up!
        w = w.parentWith
      }
    }
  }

  /**
   * Attribute name of a path element: static, or evaluated (`${e}`) to a string without context
   * (C++ getName, which also makes it a symbol: the callers intern a name they do not find, as a
   * name found in a set already is one — looking every name up again cost 10% of listToAttrs-1e5).
   */
  private attrNameCode(a: AttrName): ((env: Env) => string) {
    if (a.name !== undefined) { const n = a.name; return () => n }
    const st = this.st
    const c = this.compile(a.expr)
    const pos = exprPos(a.expr)
    return env => st.forceStringNoCtx(c(env), pos, 'while evaluating an attribute name')
  }

  /** C++ showAttrPath(state, env, path): names evaluated again; failing ones shown as `"${expr}"`. */
  private showAttrPathAt(path: AttrName[], names: Array<(env: Env) => string>, env: Env): string {
    return path.map((a, i) => {
      if (a.name !== undefined) return printIdentifier(a.name)
      try { return printIdentifier(names[i]!(env)) } catch { return `"\${${showExpr(a.expr)}}"` }
    }).join('.')
  }

  private compileSelect(eObj: Expr, path: AttrName[], def: Expr | undefined, pos: PosIdx): Code {
    const st = this.st
    const obj = this.compile(eObj)
    const names = path.map(a => this.attrNameCode(a))
    const defCode = def ? this.compile(def) : undefined
    const n = names.length
    const fail = (err: unknown, pos2: PosIdx, env: Env): unknown => {
      if (err instanceof EvalError && pos2 !== noPos && !st.isInternalPos(pos2)) {
        err.addTrace(pos2, `while evaluating the attribute '${this.showAttrPathAt(path, names, env)}'`)
      }
      return err
    }
    // Fast path: one static name, no default.
    if (n === 1 && path[0]!.name !== undefined && !defCode) {
      const name = path[0]!.name
      // Inline cache: the slot of `name` in the last shape seen here.
      let icShape: Shape | undefined
      let icIdx = 0
      return env => {
        const a = obj(env)
        if (a instanceof Attrs) {
          let v: Value | undefined
          const sh = a.shape
          if (sh !== undefined) {
            if (sh !== icShape) {
              const i = sh.index.get(name)
              if (i !== undefined) { icShape = sh; icIdx = i }
              v = i === undefined ? undefined : a.slot(i)
            } else v = a.slot(icIdx)
          } else v = a.get(name)
          if (v !== undefined) {
            if (!(v instanceof Thunk)) return v
            if (v.code === null) return v.value as Value
            const pos2 = a.posOf(name)
            try {
              return forceThunk(v, pos2 !== noPos ? pos2 : pos)
            } catch (err) {
              throw fail(err, pos2, env)
            }
          }
        }
        try {
          return st.selectOne(a, name, pos)
        } catch (err) {
          throw fail(err, noPos, env)
        }
      }
    }
    return env => {
      let cur: Value = obj(env)
      let pos2: PosIdx = noPos
      try {
        for (let i = 0; i < n; i++) {
          const name = names[i]!(env)
          if (defCode) {
            cur = st.force(cur, pos)
            const j = cur instanceof Attrs ? cur.get(name) : undefined
            if (j === undefined) { st.symbols.intern(name); return defCode(env) }
            pos2 = (cur as Attrs).posOf(name)
            cur = j
          } else {
            const attrs = st.forceAttrs(cur, pos, 'while selecting an attribute')
            const j = attrs.get(name)
            if (j === undefined) { st.symbols.intern(name); throw st.missingAttr(attrs, name, pos) }
            pos2 = attrs.posOf(name)
            cur = j
          }
        }
        return st.force(cur, pos2 !== noPos ? pos2 : pos)
      } catch (err) {
        throw fail(err, pos2, env)
      }
    }
  }

  private compileHasAttr(eObj: Expr, path: AttrName[]): Code {
    const st = this.st
    const obj = this.compile(eObj)
    const names = path.map(a => this.attrNameCode(a))
    return env => {
      let v: Value = obj(env)
      for (const nm of names) {
        v = st.force(v)
        const name = nm(env)
        const j = v instanceof Attrs ? v.get(name) : undefined
        if (j === undefined) { st.symbols.intern(name); return false }
        v = j
      }
      return true
    }
  }

  private compileAttrs(a: ExprAttrs): Code {
    const st = this.st
    const staticPos = new Map<string, PosIdx>()
    for (const [name, def] of a.attrs) staticPos.set(name, def.pos)
    const dyn = a.dynamic.map(d => ({
      name: this.compile(d.nameExpr), value: this.lazy(d.valueExpr), expr: d.valueExpr, pos: d.pos,
    }))
    const fromLazies = a.inheritFrom?.map(x => this.lazy(x))
    const buildFromEnv = fromLazies
      ? (up: Env): Env => { const e = new Env(up, fromLazies.length); for (let i = 0; i < fromLazies.length; i++) setSlot(e, i + 1, fromLazies[i]!(up)); return e }
      : undefined
    const addDynamic = (map: Map<string, Value>, pos: Map<string, PosIdx>, env: Env): void => {
      for (const d of dyn) {
        const nv = st.forceAt(d.name(env), d.pos)
        if (nv === null) continue
        const name = st.forceStringNoCtx(nv, d.pos, 'while evaluating the name of a dynamic attribute')
        if (map.has(name)) {
          throw new EvalError(`dynamic attribute '${name}' already defined at ${st.showPosIdx(pos.get(name) ?? noPos)}`, d.pos)
        }
        if (d.expr.kind === 'lambda') (d.expr as ExprLambda).name = name
        st.symbols.intern(name)
        map.set(name, d.value(env))
        pos.set(name, d.pos)
      }
    }

    const shape = new Shape([...a.attrs.keys()], [...a.attrs.values()].map(d => d.pos), a.pos)
    if (!a.rec) {
      const entries = [...a.attrs.entries()].map(([name, def]) => ({ name, lazy: this.lazy(def.e), fromInherit: def.kind === 'inheritedFrom' }))
      const n = entries.length
      if (dyn.length === 0 && !buildFromEnv) {
        const lazies = entries.map(e => e.lazy)
        if (n === 0) return () => Attrs.fromShape(shape, [])
        // Small sets straight into their in-object slots (no values array).
        const [l0, l1, l2, l3] = lazies as [Lazy, Lazy, Lazy, Lazy]
        switch (n) {
          case 1: return env => Attrs.inline(shape, l0(env), undefined, undefined, undefined)
          case 2: return env => Attrs.inline(shape, l0(env), l1(env), undefined, undefined)
          case 3: return env => Attrs.inline(shape, l0(env), l1(env), l2(env), undefined)
          case 4: return env => Attrs.inline(shape, l0(env), l1(env), l2(env), l3(env))
        }
        return env => {
          const vals = new Array<Value>(n)
          for (let i = 0; i < n; i++) vals[i] = lazies[i]!(env)
          return Attrs.fromShape(shape, vals)
        }
      }
      return env => {
        const fromEnv = buildFromEnv ? buildFromEnv(env) : env
        const vals = new Array<Value>(n)
        for (let i = 0; i < n; i++) { const en = entries[i]!; vals[i] = en.lazy(en.fromInherit ? fromEnv : env) }
        if (dyn.length === 0) return Attrs.fromShape(shape, vals)
        const map = new Map<string, Value>()
        for (let i = 0; i < n; i++) map.set(entries[i]!.name, vals[i]!)
        const pos = new Map(staticPos)
        addDynamic(map, pos, env)
        return new Attrs(map, pos)
      }
    }

    // rec { … }: one frame holding every static attribute; `inherit x` evaluates outside it.
    const defs = [...a.attrs.entries()].map(([name, def]) => ({
      name, displ: def.displ, kind: def.kind, lazy: this.lazy(def.e), expr: def.e, pos: exprPos(def.e),
    }))
    const size = defs.length
    const overrides = a.attrs.get('__overrides')
    if (!overrides && dyn.length === 0 && !buildFromEnv && defs.every(d => d.kind === 'plain')) {
      const lazies = defs.map(d => d.lazy)
      return env => {
        const env2 = new Env(env, size)
        for (let i = 0; i < size; i++) setSlot(env2, i + 1, lazies[i]!(env2))
        return Attrs.fromShape(shape, envValues(env2, size) as Value[])
      }
    }
    return env => {
      const env2 = new Env(env, size)
      const fromEnv = buildFromEnv ? buildFromEnv(env2) : env2
      const map = new Map<string, Value>()
      for (const d of defs) {
        let v: Value
        if (overrides && d.kind !== 'inherited') v = new Thunk(this.compile(d.expr), d.kind === 'inheritedFrom' ? fromEnv : env2)
        else v = d.lazy(d.kind === 'plain' ? env2 : d.kind === 'inherited' ? env : fromEnv)
        setSlot(env2, d.displ + 1, v)
        map.set(d.name, v)
      }
      if (!overrides && dyn.length === 0) return Attrs.fromShape(shape, envValues(env2, size) as Value[])
      let pos: Map<string, PosIdx> = staticPos
      if (overrides) {
        const vo = map.get('__overrides')!
        const o = st.forceAttrs(vo, noPos, 'while evaluating the `__overrides` attribute')
        pos = new Map(staticPos)
        for (const [k, v] of o.entries()) {
          const def = a.attrs.get(k)
          if (def) setSlot(env2, def.displ + 1, v)
          map.set(k, v)
          pos.set(k, o.posOf(k))
        }
      }
      if (dyn.length > 0) {
        if (pos === staticPos) pos = new Map(staticPos)
        addDynamic(map, pos, env2)
      }
      return new Attrs(map, pos)
    }
  }

  private compileLet(attrs: ExprAttrs, bodyExpr: Expr): Code {
    const defs = [...attrs.attrs.values()].map(def => ({ displ: def.displ + 1, kind: def.kind, lazy: this.lazy(def.e) }))
    const fromLazies = attrs.inheritFrom?.map(x => this.lazy(x))
    const body = this.compile(bodyExpr)
    const size = defs.length
    if (!fromLazies && defs.every(d => d.kind === 'plain')) {
      return env => {
        const env2 = new Env(env, size)
        for (let i = 0; i < size; i++) { const d = defs[i]!; setSlot(env2, d.displ, d.lazy(env2)) }
        return body(env2)
      }
    }
    return env => {
      const env2 = new Env(env, size)
      let fromEnv = env2
      if (fromLazies) {
        fromEnv = new Env(env2, fromLazies.length)
        for (let i = 0; i < fromLazies.length; i++) setSlot(fromEnv, i + 1, fromLazies[i]!(env2))
      }
      for (const d of defs) setSlot(env2, d.displ, d.lazy(d.kind === 'plain' ? env2 : d.kind === 'inherited' ? env : fromEnv))
      return body(env2)
    }
  }

  private compileLambda(e: ExprLambda): Code {
    const info = this.lambdaInfo(e)
    return env => new Lambda(info, env)
  }

  /** The static part of a lambda; its name is read from the AST (dynamic attributes rename at run time). */
  lambdaInfo(e: ExprLambda): LambdaInfo {
    const formals: Formal[] | undefined = e.formals?.map(f => ({
      name: f.name, def: f.def ? this.compile(f.def) : undefined, pos: f.pos,
    }))
    const defLazies = e.formals?.map(f => (f.def ? this.lazy(f.def) : undefined)) ?? []
    const envSize = (e.arg !== undefined ? 1 : 0) + (formals?.length ?? 0)
    const formalSlots = formals ? formals.map((_, i) => i + (e.arg !== undefined ? 1 : 0)) : []
    const info = new CompiledLambdaInfo(e, formals, envSize, formalSlots, defLazies)
    if (e.body.kind === 'lambda') {
      const inner = this.lambdaInfo(e.body)
      info.inner = inner
      info.body = env => new Lambda(inner, env)
    } else {
      // Compiled on the first call.
      const body = e.body
      info.body = (env, p, a) => {
        const c = this.compile(body)
        info.body = c
        return c(env, p, a)
      }
    }
    return info
  }

  private compileCall(e: ExprCall): Code {
    const st = this.st
    const pos = e.pos
    const inline = this.compileInlineOp(e)
    if (inline) return inline
    const fn = this.compile(e.fn)
    const args = e.args.map(a => this.lazy(a))
    if (args.length === 1) {
      const a0 = args[0]!
      return env => st.callFunction(fn(env), a0(env), pos)
    }
    if (args.length === 2) {
      const a0 = args[0]!
      const a1 = args[1]!
      return env => st.call2(fn(env), a0(env), a1(env), pos)
    }
    return env => st.callFunctionN(fn(env), args.map(a => a(env)), pos)
  }

  /** `__sub a b`, `__lessThan a b`, … resolving to the builtins: inlined arithmetic. */
  private compileInlineOp(e: ExprCall): Code | undefined {
    const st = this.st
    if (e.fn.kind !== 'var' || e.fn.fromWith || e.args.length !== 2) return undefined
    const v = e.fn
    if (!st.isBaseVar(v)) return undefined
    const op = v.name
    if (op !== '__sub' && op !== '__lessThan' && op !== '__mul' && op !== '__div' && op !== '__add') return undefined
    const a = this.compile(e.args[0]!)
    const b = this.compile(e.args[1]!)
    const pos = e.pos
    const name = op.slice(2)
    const max = st.settings.maxCallDepth
    const hint = `while calling the '${name}' builtin`
    const slow = (x: Value, y: Value): Value => st.getPrimOp(name).impl([x, y], pos)
    // Like a primop call: one call-depth level, arguments forced inside the "while calling" frame.
    const run = (fast: (x: Value, y: Value) => Value | undefined) => (env: Env): Value => {
      if (st.depth++ > max) st.callDepthExceeded(pos)
      let x: Value
      let y: Value
      try {
        x = a(env)
        y = b(env)
      } catch (err) {
        if (err instanceof EvalError) err.addTrace(pos, hint)
        throw err
      }
      const r = fast(x, y)
      const res = r !== undefined ? r : slow(x, y)
      st.depth--
      return res
    }
    switch (op) {
      case '__sub':
        return run((x, y) => {
          if (typeof x === 'number' && typeof y === 'number') {
            const r = x - y
            if (r <= MAX_SAFE && r >= -MAX_SAFE) return r
          }
          return undefined
        })
      case '__add':
        return run((x, y) => {
          if (typeof x === 'number' && typeof y === 'number') {
            const r = x + y
            if (r <= MAX_SAFE && r >= -MAX_SAFE) return r
          }
          return undefined
        })
      case '__mul':
        return run((x, y) => {
          if (typeof x === 'number' && typeof y === 'number') {
            const r = x * y
            if (r <= MAX_SAFE && r >= -MAX_SAFE) return r + 0
          }
          return undefined
        })
      case '__lessThan':
        return run((x, y) => (typeof x === 'number' && typeof y === 'number' ? x < y : undefined))
      default:
        return run(() => undefined)
    }
  }

  private compileAssert(condE: Expr, bodyE: Expr, pos: PosIdx): Code {
    const st = this.st
    const cond = this.compile(condE)
    const body = this.compile(bodyE)
    const eq = condE.kind === 'binop' && condE.op === '==' ? { a: this.compile(condE.e1), b: this.compile(condE.e2) } : undefined
    return env => {
      if (!st.evalBool(cond, env, pos, 'in the condition of the assert statement')) {
        st.assertionFailed(showExpr(condE), pos, eq ? () => [eq.a(env), eq.b(env)] : undefined)
      }
      return body(env)
    }
  }

  private compileUpdate(e1: Expr, e2: Expr): Code {
    const st = this.st
    // C++ 2.34 (ExprOpUpdate::evalForUpdate) flattens a chain of `//` into a queue and
    // evaluates its operands rightmost first; each frame names the operand's side in its
    // own `//` and reports the operand's position (none for literals).
    const ops: Array<{ code: Code; pos: PosIdx; ctx: string }> = []
    const collect = (x: Expr, side: 'left' | 'right'): void => {
      if (x.kind === 'binop' && x.op === '//') {
        collect(x.e2, 'right')
        collect(x.e1, 'left')
        return
      }
      ops.push({ code: this.compile(x), pos: exprPos(x), ctx: `in the ${side} operand of the update (//) operator` })
    }
    collect(e2, 'right')
    collect(e1, 'left')
    if (ops.length === 2) {
      const [r, l] = ops as [typeof ops[0], typeof ops[0]]
      return env => {
        const y = st.evalAttrs(r.code, env, r.pos, r.ctx)
        const x = st.evalAttrs(l.code, env, l.pos, l.ctx)
        return st.updateAttrs(x, y)
      }
    }
    return env => {
      const vals = ops.map(o => st.evalAttrs(o.code, env, o.pos, o.ctx))
      let acc = vals[vals.length - 1]!
      for (let i = vals.length - 2; i >= 0; i--) acc = st.updateAttrs(acc, vals[i]!)
      return acc
    }
  }

  private compileBinOp(op: string, e1: Expr, e2: Expr, pos: PosIdx): Code {
    if (op === '//') return this.compileUpdate(e1, e2)
    const st = this.st
    const a = this.compile(e1)
    const b = this.compile(e2)
    switch (op) {
      case '==': return env => st.eqValues(a(env), b(env), pos, 'while testing two values for equality')
      case '!=': return env => !st.eqValues(a(env), b(env), pos, 'while testing two values for equality')
      case '&&': return env => st.evalBool(a, env, pos, 'in the left operand of the AND (&&) operator') && st.evalBool(b, env, pos, 'in the right operand of the AND (&&) operator')
      case '||': return env => st.evalBool(a, env, pos, 'in the left operand of the OR (||) operator') || st.evalBool(b, env, pos, 'in the right operand of the OR (||) operator')
      case '->': return env => !st.evalBool(a, env, pos, 'in the left operand of the IMPL (->) operator') || st.evalBool(b, env, pos, 'in the right operand of the IMPL (->) operator')
      case '++': return env => {
        const x = a(env)
        const y = b(env)
        const l1 = st.forceList(x, pos, 'while evaluating one of the elements to concatenate')
        const l2 = st.forceList(y, pos, 'while evaluating one of the elements to concatenate')
        if (l1.length === 0) return l2
        if (l2.length === 0) return l1
        return l1.concat(l2)
      }
    }
    throw new Error(`unknown operator ${op}`)
  }

  private compileConcat(parts: Array<[PosIdx, Expr]>, forceString: boolean, pos: PosIdx): Code {
    const st = this.st
    const codes = parts.map(p => this.compile(p[1]))
    const poss = parts.map(p => p[0])
    const n = codes.length
    if (!forceString && n === 2) {
      const a = codes[0]!
      const b = codes[1]!
      return env => {
        const x = a(env)
        if (typeof x === 'number') {
          const y = b(env)
          if (typeof y === 'number') {
            const r = x + y
            if (r <= MAX_SAFE && r >= -MAX_SAFE) return r
          }
          return st.concatStrings(2, i => (i === 0 ? x : y), poss, false, pos)
        }
        if (typeof x === 'string') {
          const y = b(env)
          if (typeof y === 'string') return x + y
          return st.concatStrings(2, i => (i === 0 ? x : y), poss, false, pos)
        }
        return st.concatStrings(2, i => (i === 0 ? x : b(env)), poss, false, pos)
      }
    }
    if (forceString) {
      return env => {
        let s = ''
        let ctx: Set<ContextElem> | undefined
        for (let i = 0; i < n; i++) {
          const v = codes[i]!(env)
          if (typeof v === 'string') { s += v; continue }
          if (v instanceof NixString) {
            s += v.s
            if (ctx === undefined) ctx = new Set()
            for (const c of v.context) ctx.add(c)
            continue
          }
          if (ctx === undefined) ctx = new Set()
          s += st.coerceToString(poss[i]!, v, ctx, 'while evaluating a path segment', false, true, true)
        }
        return ctx === undefined || ctx.size === 0 ? s : new NixString(s, ctx)
      }
    }
    return env => st.concatStrings(n, i => codes[i]!(env), poss, forceString, pos)
  }
}

/**
 * LambdaInfo as a class: every call reads its fields, and an object literal with the `name`
 * accessor was in dictionary mode (each read a hash lookup through a generic load IC).
 */
class CompiledLambdaInfo implements LambdaInfo {
  readonly pos: PosIdx
  readonly arg: string | undefined
  readonly ellipsis: boolean
  body: Code = null as unknown as Code
  inner: LambdaInfo | undefined = undefined
  constructor(
    private readonly e: ExprLambda,
    readonly formals: readonly Formal[] | undefined,
    readonly envSize: number,
    readonly formalSlots: readonly number[],
    readonly defLazies: ReadonlyArray<((env: Env) => Value) | undefined>,
  ) {
    this.pos = e.pos
    this.arg = e.arg
    this.ellipsis = e.ellipsis
  }
  /** Read from the AST: dynamic attributes rename lambdas at run time. */
  get name(): string | undefined { return this.e.name }
  set name(n: string | undefined) { this.e.name = n }
}

/** The position C++ attaches to a thunk of this expression (for infinite recursion reports). */
export function exprPos(e: Expr): PosIdx {
  switch (e.kind) {
    case 'not': return exprPos(e.e)
    case 'var': case 'select': case 'lambda': case 'call': case 'with': case 'if': case 'assert':
    case 'binop': case 'concatStrings': case 'curPos': case 'attrs':
      return e.pos
    default:
      return noPos
  }
}

export { showAttrPath, printValue, showType, NixTypeError, intFromBig }
