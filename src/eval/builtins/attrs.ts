/** Attribute set builtins (C++ primops.cc "Sets"). */
import { EvalError, NixTypeError } from '../errors.js'
import { attrsSymbolOrder } from '../eval-state.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { printIdentifier } from '../show.js'
import { Attrs, Lambda, PrimOp, PrimOpApp, type Value } from '../value.js'
import type { BuiltinGroup } from './registry.js'

/** C++ EvalState::getAttr: the attribute or "attribute 'x' missing" with a trace. */
export function getAttrOrThrow(st: EvalState, name: string, a: Attrs, errCtx: string, pos: PosIdx = noPos): Value {
  const v = a.get(name)
  if (v !== undefined) return v
  const e = new EvalError(`attribute '${printIdentifier(name)}' missing`, pos)
  e.addTrace(noPos, errCtx)
  throw e
}

export const attrsBuiltins: BuiltinGroup = {
  name: 'attrs',
  primops: [
    {
      name: '__attrNames', arity: 1, args: ['set'],
      impl: (st, args, pos) => st.forceAttrs(args[0]!, pos, 'while evaluating the argument passed to builtins.attrNames').keys().slice(),
    },
    {
      name: '__attrValues', arity: 1, args: ['set'],
      impl: (st, args, pos) => {
        const a = st.forceAttrs(args[0]!, pos, 'while evaluating the argument passed to builtins.attrValues')
        return a.keys().map(k => a.get(k)!)
      },
    },
    {
      name: '__getAttr', arity: 2, args: ['s', 'set'],
      impl: (st, args, pos) => {
        const name = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.getAttr')
        const a = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.getAttr')
        // C++ makes the name a symbol; one a set has is one already (as for selections, compile.ts)
        if (!a.has(name)) st.symbols.intern(name)
        return st.force(getAttrOrThrow(st, name, a, 'in the attribute set under consideration'), pos)
      },
    },
    {
      name: '__unsafeGetAttrPos', arity: 2, args: ['s', 'set'],
      impl: (st, args, pos) => {
        const name = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.unsafeGetAttrPos')
        const a = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.unsafeGetAttrPos')
        if (!a.has(name)) { st.symbols.intern(name); return null }
        return st.mkPosAttrs(a.posOf(name))
      },
    },
    {
      name: '__hasAttr', arity: 2, args: ['s', 'set'],
      impl: (st, args, pos) => {
        const name = st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.hasAttr')
        const a = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.hasAttr')
        if (a.has(name)) return true
        st.symbols.intern(name)
        return false
      },
    },
    {
      name: 'removeAttrs', arity: 2, args: ['set', 'list'],
      impl: (st, args, pos) => {
        const a = st.forceAttrs(args[0]!, pos, 'while evaluating the first argument passed to builtins.removeAttrs')
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.removeAttrs')
        const names = l.map(x => st.symbols.internAndGet(st.forceStringNoCtx(x, pos, 'while evaluating the values of the second argument passed to builtins.removeAttrs')))
        if (!names.some(n => a.has(n))) return a
        const map = new Map(a.entries())
        for (const n of names) map.delete(n)
        return new Attrs(map, a.positions())
      },
    },
    {
      name: '__listToAttrs', arity: 1, args: ['e'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[0]!, pos, 'while evaluating the argument passed to builtins.listToAttrs')
        const map = new Map<string, Value>()
        const poss = new Map<string, PosIdx>()
        const elems: Array<[string, Attrs]> = []
        for (const x of l) {
          const a = st.forceAttrs(x, pos, 'while evaluating an element of the list passed to builtins.listToAttrs')
          const j = getAttrOrThrow(st, 'name', a, 'in a {name=...; value=...;} pair')
          const name = st.forceStringNoCtx(j, a.posOf('name'), 'while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs')
          st.symbols.intern(name)
          elems.push([name, a])
        }
        for (const [name, a] of elems) {
          if (map.has(name)) continue
          const v = getAttrOrThrow(st, 'value', a, 'in a {name=...; value=...;} pair')
          map.set(name, v)
          poss.set(name, a.posOf('value'))
        }
        return new Attrs(map, poss)
      },
    },
    {
      name: '__intersectAttrs', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => {
        const l = st.forceAttrs(args[0]!, pos, 'while evaluating the first argument passed to builtins.intersectAttrs')
        const r = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.intersectAttrs')
        const map = new Map<string, Value>()
        const poss = new Map<string, PosIdx>()
        const small = l.size < r.size ? l : r
        for (const k of small.names()) {
          const v = r.get(k)
          if (v !== undefined && l.has(k)) { map.set(k, v); poss.set(k, r.posOf(k)) }
        }
        return new Attrs(map, poss)
      },
    },
    {
      name: '__catAttrs', arity: 2, args: ['attr', 'list'],
      impl: (st, args, pos) => {
        const name = st.symbols.internAndGet(st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.catAttrs'))
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.catAttrs')
        const out: Value[] = []
        for (const x of l) {
          const v = st.forceAttrs(x, pos, 'while evaluating an element in the list passed as second argument to builtins.catAttrs').get(name)
          if (v !== undefined) out.push(v)
        }
        return out
      },
    },
    {
      name: '__functionArgs', arity: 1, args: ['f'],
      impl: (st, args, pos) => {
        const f = st.force(args[0]!, pos)
        if (f instanceof PrimOp || f instanceof PrimOpApp) return Attrs.empty
        if (!(f instanceof Lambda)) throw new NixTypeError("'functionArgs' requires a function", pos)
        const fs = f.info.formals
        if (!fs) return Attrs.empty
        const map = new Map<string, Value>()
        const poss = new Map<string, PosIdx>()
        for (const x of fs) { map.set(x.name, x.def !== undefined); poss.set(x.name, x.pos) }
        return new Attrs(map, poss)
      },
    },
    {
      name: '__mapAttrs', arity: 2, args: ['f', 'attrset'],
      impl: (st, args, pos) => {
        const a = st.forceAttrs(args[1]!, pos, 'while evaluating the second argument passed to builtins.mapAttrs')
        const f = args[0]!
        const map = new Map<string, Value>()
        for (const [k, v] of a.entries()) map.set(k, st.mkApp2(f, k, v))
        return new Attrs(map)
      },
    },
    {
      name: '__zipAttrsWith', arity: 2, args: ['f', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.zipAttrsWith')
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.zipAttrsWith')
        const seen = new Map<string, Value[]>()
        for (const x of l) {
          const a = st.forceAttrs(x, noPos, 'while evaluating a value of the list passed as second argument to builtins.zipAttrsWith')
          for (const k of attrsSymbolOrder(st, a)) {
            let g = seen.get(k)
            if (!g) { g = []; seen.set(k, g) }
            g.push(a.get(k)!)
          }
        }
        const map = new Map<string, Value>()
        for (const k of [...seen.keys()].sort(st.symbols.compare)) map.set(k, st.mkApp2(f, k, seen.get(k)!))
        return new Attrs(map)
      },
    },
  ],
}
