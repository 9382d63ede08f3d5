/**
 * Static variable resolution (C++ `Expr::bindVars`): every variable becomes (level, slot) in
 * the chain of frames, or a dynamic lookup through the nearest enclosing `with` frames when no
 * lexical binding exists. Lexical bindings always win over `with`, even an inner one. Undefined
 * variables are reported here, i.e. at parse time as C++ Nix does.
 *
 * Frame layout (must match compile.ts): lambda = [arg?, formals…]; rec set / let = one slot per
 * static attribute (AttrDef.displ); `with` = [attrs]; `inherit (e)` sources = one slot each.
 */
import type { Expr, ExprAttrs, ExprWithRef } from './ast.js'
import { UndefinedVarError } from './errors.js'

export class StaticEnv {
  constructor(
    readonly up: StaticEnv | undefined,
    /** Names bound by this frame → slot index; undefined for `with` and inherit-source frames. */
    readonly vars: ReadonlyMap<string, number> | undefined,
    readonly withExpr?: ExprWithRef,
  ) {}
}

export function bindVars(e: Expr, env: StaticEnv): void {
  switch (e.kind) {
    case 'int': case 'float': case 'string': case 'path': case 'curPos': case 'inheritFrom':
      return
    case 'var': {
      e.fromWith = undefined
      let withLevel = -1
      let level = 0
      for (let cur: StaticEnv | undefined = env; cur; cur = cur.up, level++) {
        if (cur.withExpr) {
          if (withLevel === -1) withLevel = level
        } else if (cur.vars) {
          const d = cur.vars.get(e.name)
          if (d !== undefined) {
            e.level = level
            e.displ = d
            return
          }
        }
      }
      if (withLevel === -1) throw new UndefinedVarError(`undefined variable '${e.name}'`, e.pos)
      for (let cur: StaticEnv | undefined = env; cur && !e.fromWith; cur = cur.up) e.fromWith = cur.withExpr
      e.level = withLevel
      return
    }
    case 'select':
      bindVars(e.e, env)
      if (e.def) bindVars(e.def, env)
      for (const a of e.path) if (a.expr) bindVars(a.expr, env)
      return
    case 'hasAttr':
      bindVars(e.e, env)
      for (const a of e.path) if (a.expr) bindVars(a.expr, env)
      return
    case 'attrs':
      bindAttrs(e, env)
      return
    case 'list':
      for (const x of e.elems) bindVars(x, env)
      return
    case 'lambda': {
      const vars = new Map<string, number>()
      let displ = 0
      if (e.arg !== undefined) vars.set(e.arg, displ++)
      if (e.formals) for (const f of e.formals) vars.set(f.name, displ++)
      const inner = new StaticEnv(env, vars)
      if (e.formals) for (const f of e.formals) if (f.def) bindVars(f.def, inner)
      bindVars(e.body, inner)
      return
    }
    case 'call':
      bindVars(e.fn, env)
      for (const a of e.args) bindVars(a, env)
      return
    case 'let': {
      const vars = new Map<string, number>()
      let displ = 0
      for (const [name, def] of e.attrs.attrs) { def.displ = displ; vars.set(name, displ++) }
      const inner = new StaticEnv(env, vars)
      const fromEnv = bindInheritSources(e.attrs, inner)
      for (const def of e.attrs.attrs.values()) {
        bindVars(def.e, def.kind === 'plain' ? inner : def.kind === 'inherited' ? env : fromEnv!)
      }
      bindVars(e.body, inner)
      return
    }
    case 'with': {
      e.parentWith = undefined
      let level = 1
      for (let cur: StaticEnv | undefined = env; cur; cur = cur.up, level++) {
        if (cur.withExpr) {
          e.parentWith = cur.withExpr
          e.prevWith = level
          break
        }
      }
      bindVars(e.attrs, env)
      bindVars(e.body, new StaticEnv(env, undefined, e))
      return
    }
    case 'if':
      bindVars(e.cond, env); bindVars(e.then, env); bindVars(e.else, env)
      return
    case 'assert':
      bindVars(e.cond, env); bindVars(e.body, env)
      return
    case 'not':
      bindVars(e.e, env)
      return
    case 'binop':
      bindVars(e.e1, env); bindVars(e.e2, env)
      return
    case 'concatStrings':
      for (const [, x] of e.parts) bindVars(x, env)
      return
  }
}

/** The frame of `inherit (e)` sources: no names, one slot per source; sources bind in `env`. */
function bindInheritSources(a: ExprAttrs, env: StaticEnv): StaticEnv | undefined {
  if (!a.inheritFrom) return undefined
  for (const from of a.inheritFrom) bindVars(from, env)
  return new StaticEnv(env, undefined)
}

function bindAttrs(a: ExprAttrs, env: StaticEnv): void {
  if (a.rec) {
    const vars = new Map<string, number>()
    let displ = 0
    for (const [name, def] of a.attrs) { def.displ = displ; vars.set(name, displ++) }
    const inner = new StaticEnv(env, vars)
    const fromEnv = bindInheritSources(a, inner)
    for (const def of a.attrs.values()) {
      bindVars(def.e, def.kind === 'plain' ? inner : def.kind === 'inherited' ? env : fromEnv!)
    }
    for (const d of a.dynamic) { bindVars(d.nameExpr, inner); bindVars(d.valueExpr, inner) }
  } else {
    const fromEnv = bindInheritSources(a, env)
    for (const def of a.attrs.values()) bindVars(def.e, def.kind === 'inheritedFrom' ? fromEnv! : env)
    for (const d of a.dynamic) { bindVars(d.nameExpr, env); bindVars(d.valueExpr, env) }
  }
}
