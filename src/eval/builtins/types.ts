/** Type predicates and `typeOf` (C++ primops.cc prim_typeOf, prim_isInt, …). */
import type { EvalState } from '../eval-state.js'
import type { PosIdx } from '../pos.js'
import { Attrs, NixFloat, NixPath, NixString, type Value, isFunction, isList, typeOf } from '../value.js'
import type { BuiltinGroup, PrimOpDef } from './registry.js'

function pred(name: string, test: (v: Value) => boolean): PrimOpDef {
  return { name, arity: 1, args: ['e'], impl: (st: EvalState, args: Value[], pos: PosIdx) => test(st.force(args[0]!, pos)) }
}

export const typeBuiltins: BuiltinGroup = {
  name: 'types',
  primops: [
    { name: '__typeOf', arity: 1, args: ['e'], impl: (st, args, pos) => typeOf(st.force(args[0]!, pos)) },
    pred('isNull', v => v === null),
    pred('__isFunction', v => isFunction(v)),
    pred('__isInt', v => typeof v === 'number' || typeof v === 'bigint'),
    pred('__isFloat', v => v instanceof NixFloat),
    pred('__isString', v => typeof v === 'string' || v instanceof NixString),
    pred('__isBool', v => typeof v === 'boolean'),
    pred('__isPath', v => v instanceof NixPath),
    pred('__isAttrs', v => v instanceof Attrs),
    pred('__isList', v => isList(v)),
  ],
}
