/** `builtins.toXML` (C++ prim_toXML): the value's XML form, strict, without locations. */
import type { ContextElem } from '../value.js'
import { mkString } from '../value.js'
import { valueToXML } from '../xml.js'
import type { BuiltinGroup } from './registry.js'

export const xmlBuiltins: BuiltinGroup = {
  name: 'xml',
  primops: [{
    name: '__toXML', arity: 1, args: ['e'],
    impl: (st, args, pos) => {
      const ctx = new Set<ContextElem>()
      return mkString(valueToXML(st, args[0]!, true, false, ctx, pos), ctx)
    },
  }],
}
