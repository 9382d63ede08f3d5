/**
 * genericClosure, placeholder and the builtin constants (true, false, null, nixVersion,
 * langVersion, storeDir, currentSystem, currentTime, nixPath).
 */
import { sha256 } from '../../store-path/hash.js'
import { encodeNix32 } from '../../store-path/nixbase32.js'
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { noPos } from '../pos.js'
import { errorPrintOptions, printValue } from '../print.js'
import { Attrs, NixFloat, NixPath, NixString, type Value } from '../value.js'
import { lessThan } from './arith.js'
import { getAttrOrThrow } from './attrs.js'
import type { BuiltinGroup } from './registry.js'

/** `/` + nix32(sha256("nix-output:" + name)): the placeholder of an output (C++ hashPlaceholder). */
export function hashPlaceholder(outputName: string): string {
  return '/' + encodeNix32(sha256(Buffer.from('nix-output:' + outputName, 'latin1')))
}

function keyKind(v: Value): string {
  if (typeof v === 'number' || typeof v === 'bigint') return 'int'
  if (typeof v === 'string' || v instanceof NixString) return 'string'
  if (v instanceof NixPath) return 'path'
  if (v instanceof NixFloat) return 'float'
  return 'other'
}

function genericClosure(st: EvalState, args: Value[]): Value {
  const arg = st.forceAttrs(args[0]!, noPos, 'while evaluating the first argument passed to builtins.genericClosure')
  const startSet = getAttrOrThrow(st, 'startSet', arg, 'in the attrset passed as argument to builtins.genericClosure')
  const start = st.forceList(startSet, noPos, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure")
  if (start.length === 0) return start
  const op = getAttrOrThrow(st, 'operator', arg, 'in the attrset passed as argument to builtins.genericClosure')
  const opF = st.forceFunction(op, noPos, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure")
  const pv = (v: Value): string => printValue(v, { ...errorPrintOptions, positions: st.positions })
  const work: Value[] = start.slice()
  const res: Value[] = []
  // Fast sets for string/int/path keys; a sorted list with lessThan otherwise (C++ GenericClosureKeyTracker).
  const fast = new Set<string | number | bigint>()
  let kind: string | undefined
  let firstElem: Value | undefined
  let firstKey: Value | undefined
  const slow: Array<[Value, Value]> = []
  const insert = (key: Value, elem: Value): boolean => {
    const k = keyKind(key)
    if (kind === undefined) { kind = k === 'int' || k === 'string' || k === 'path' ? k : 'slow'; firstElem = elem; firstKey = key }
    if (kind === 'slow' || (kind === 'int' && k === 'float')) {
      if (kind === 'int') {
        kind = 'slow'
        for (const x of fast) slow.push([x as Value, elem])
        fast.clear()
      }
      for (const [k2, e2] of slow) {
        let lt: boolean
        let gt: boolean
        try {
          lt = lessThan(st, key, k2, noPos, '')
          gt = lessThan(st, k2, key, noPos, '')
        } catch (err) {
          if (err instanceof EvalError) {
            err.addTrace(noPos, `with element ${pv(e2)}`)
            err.addTrace(noPos, `while comparing element ${pv(elem)}`)
          }
          throw err
        }
        if (!lt && !gt) return false
      }
      slow.push([key, elem])
      return true
    }
    if (k !== kind) {
      try {
        lessThan(st, key, firstKey!, noPos, '')
      } catch (err) {
        if (err instanceof EvalError) {
          err.addTrace(noPos, `with element ${pv(firstElem!)}`)
          err.addTrace(noPos, `while comparing element ${pv(elem)}`)
        }
        throw err
      }
    }
    const kv = typeof key === 'string' ? key : key instanceof NixString ? key.s : key instanceof NixPath ? key.path : key as number | bigint
    const norm = typeof kv === 'bigint' ? kv : kv
    if (fast.has(norm)) return false
    fast.add(norm)
    return true
  }
  for (let head = 0; head < work.length; head++) {
    const e = work[head]!
    let a: Attrs
    let key: Value
    try {
      a = st.forceAttrs(e, noPos, '')
      key = getAttrOrThrow(st, 'key', a, '')
    } catch (err) {
      if (err instanceof EvalError) {
        err.trace = err.trace.filter(t => t.hint !== '')
        err.addTrace(noPos, `in genericClosure element ${pv(e)}`)
      }
      throw err
    }
    key = st.force(key, noPos)
    if (!insert(key, e)) continue
    res.push(e)
    try {
      const r = st.forceList(st.callFunction(opF, e, noPos), noPos, 'while evaluating the return value of the `operator` passed to builtins.genericClosure')
      for (const x of r) { st.force(x, noPos); work.push(x) }
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(noPos, `while calling operator on genericClosure element ${pv(e)}`)
      throw err
    }
  }
  return res
}

export const miscBuiltins: BuiltinGroup = {
  name: 'misc',
  constants: [
    { name: 'true', value: () => true },
    { name: 'false', value: () => false },
    { name: 'null', value: () => null },
    { name: '__currentTime', value: st => st.io.currentTime(), impureOnly: true },
    { name: '__currentSystem', value: st => st.settings.currentSystem, impureOnly: true },
    { name: '__nixVersion', value: st => st.settings.nixVersion },
    { name: '__storeDir', value: st => st.settings.storeDir },
    { name: '__langVersion', value: () => 6 },
    {
      name: '__nixPath',
      value: st => st.settings.nixPath.map(e => new Attrs(new Map<string, Value>([['path', e.path], ['prefix', e.prefix]]))),
    },
  ],
  primops: [
    { name: '__genericClosure', arity: 1, args: ['attrset'], impl: (st, args) => genericClosure(st, args) },
    {
      name: 'placeholder', arity: 1, args: ['output'],
      impl: (st, args, pos) => hashPlaceholder(st.forceStringNoCtx(args[0]!, pos, 'while evaluating the first argument passed to builtins.placeholder')),
    },
  ],
}
