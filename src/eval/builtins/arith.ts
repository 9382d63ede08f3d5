/**
 * Arithmetic, bitwise operations and comparison (C++ primops.cc prim_add … prim_lessThan).
 * Integers are checked int64: overflow is an error, never a wrap-around.
 */
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import type { PosIdx } from '../pos.js'
import { formatG } from '../show.js'
import { Attrs, type GenList, NixFloat, NixPath, NixString, type Value, intFromBig, isList, listItems, showType } from '../value.js'
import type { BuiltinGroup } from './registry.js'

const MAX_SAFE = 9007199254740991

function isFloatV(v: Value): boolean { return v instanceof NixFloat }

type IntOp = (a: bigint, b: bigint) => bigint

function intArith(st: EvalState, args: Value[], pos: PosIdx, what: string, verb: string, sym: string,
  fast: (a: number, b: number) => number, big: IntOp, flt: (a: number, b: number) => number): Value {
  const a = st.force(args[0]!, pos)
  const b = st.force(args[1]!, pos)
  if (isFloatV(a) || isFloatV(b)) {
    return new NixFloat(flt(
      st.forceFloat(a, pos, `while evaluating the first argument of the ${what}`),
      st.forceFloat(b, pos, `while evaluating the second argument of the ${what}`)))
  }
  const i1 = st.forceInt(a, pos, `while evaluating the first argument of the ${what}`)
  const i2 = st.forceInt(b, pos, `while evaluating the second argument of the ${what}`)
  if (typeof i1 === 'number' && typeof i2 === 'number') {
    const r = fast(i1, i2)
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r + 0
  }
  const r = intFromBig(big(BigInt(i1), BigInt(i2)))
  if (r === undefined) throw new EvalError(`integer overflow in ${verb} ${i1} ${sym} ${i2}`, pos)
  return r
}

export function add(st: EvalState, args: Value[], pos: PosIdx): Value {
  return intArith(st, args, pos, 'addition', 'adding', '+', (a, b) => a + b, (a, b) => a + b, (a, b) => a + b)
}
export function sub(st: EvalState, args: Value[], pos: PosIdx): Value {
  return intArith(st, args, pos, 'subtraction', 'subtracting', '-', (a, b) => a - b, (a, b) => a - b, (a, b) => a - b)
}
export function mul(st: EvalState, args: Value[], pos: PosIdx): Value {
  return intArith(st, args, pos, 'multiplication', 'multiplying', '*', (a, b) => a * b, (a, b) => a * b, (a, b) => a * b)
}

export function div(st: EvalState, args: Value[], pos: PosIdx): Value {
  const a = st.force(args[0]!, pos)
  const b = st.force(args[1]!, pos)
  const f2 = st.forceFloat(b, pos, 'while evaluating the second operand of the division')
  if (f2 === 0) throw new EvalError('division by zero', pos)
  if (isFloatV(a) || isFloatV(b)) {
    return new NixFloat(st.forceFloat(a, pos, 'while evaluating the first operand of the division') / f2)
  }
  const i1 = st.forceInt(a, pos, 'while evaluating the first operand of the division')
  const i2 = st.forceInt(b, pos, 'while evaluating the second operand of the division')
  if (typeof i1 === 'number' && typeof i2 === 'number' && Math.abs(i1) + Math.abs(i2) <= MAX_SAFE) {
    return Math.trunc(i1 / i2) + 0
  }
  const r = intFromBig(BigInt(i1) / BigInt(i2))
  if (r === undefined) throw new EvalError(`integer overflow in dividing ${i1} / ${i2}`, pos)
  return r
}

/** C++ CompareValues (builtins.lessThan, sort with lessThan, `<`). */
export function lessThan(st: EvalState, v1: Value, v2: Value, pos: PosIdx, errCtx: string): boolean {
  try {
    v1 = st.force(v1, pos)
    v2 = st.force(v2, pos)
    if (v1 instanceof NixFloat && (typeof v2 === 'number' || typeof v2 === 'bigint')) return v1.value < Number(v2)
    if ((typeof v1 === 'number' || typeof v1 === 'bigint') && v2 instanceof NixFloat) return Number(v1) < v2.value
    const t1 = kind(v1)
    const t2 = kind(v2)
    if (t1 !== t2) throw new EvalError(`cannot compare ${showType(v1)} with ${showType(v2)}; values are ${st.printValueForError(v1)} and ${st.printValueForError(v2)}`)
    switch (t1) {
      case 'int': return (v1 as number | bigint) < (v2 as number | bigint)
      case 'float': return (v1 as NixFloat).value < (v2 as NixFloat).value
      case 'string': return str(v1) < str(v2)
      case 'path': return (v1 as NixPath).path < (v2 as NixPath).path
      case 'list': {
        const l1 = listItems(v1 as Value[] | GenList)
        const l2 = listItems(v2 as Value[] | GenList)
        for (let i = 0; ; i++) {
          if (i === l2.length) return false
          if (i === l1.length) return true
          if (!st.eqValues(l1[i]!, l2[i]!, pos, errCtx)) return lessThan(st, l1[i]!, l2[i]!, pos, 'while comparing two list elements')
        }
      }
      default:
        throw new EvalError(`cannot compare ${showType(v1)} with ${showType(v2)}; values of that type are incomparable (values are ${st.printValueForError(v1)} and ${st.printValueForError(v2)})`)
    }
  } catch (e) {
    if (errCtx !== '' && e instanceof EvalError) e.addTrace(0, errCtx)
    throw e
  }
}

function str(v: Value): string { return typeof v === 'string' ? v : (v as NixString).s }

function kind(v: Value): string {
  if (typeof v === 'number' || typeof v === 'bigint') return 'int'
  if (v instanceof NixFloat) return 'float'
  if (typeof v === 'string' || v instanceof NixString) return 'string'
  if (v instanceof NixPath) return 'path'
  if (isList(v)) return 'list'
  if (v instanceof Attrs) return 'set'
  return typeof v
}

function bitOp(name: string, op: (a: bigint, b: bigint) => bigint, fast: (a: number, b: number) => number) {
  return (st: EvalState, args: Value[], pos: PosIdx): Value => {
    const a = st.forceInt(args[0]!, pos, `while evaluating the first argument passed to builtins.${name}`)
    const b = st.forceInt(args[1]!, pos, `while evaluating the second argument passed to builtins.${name}`)
    if (typeof a === 'number' && typeof b === 'number' && Math.abs(a) <= 0x7fffffff && Math.abs(b) <= 0x7fffffff) return fast(a, b)
    return intFromBig(BigInt.asIntN(64, op(BigInt(a), BigInt(b))))!
  }
}

/** C++ (NixOS/nix#12899): an int argument goes through a double, and must come back unchanged. */
const BUG_12899 = 'Due to a bug (see https://github.com/NixOS/nix/issues/12899)'
const FUTURE = '.\n\tFuture Nix versions might implement the correct behavior.'

function rounding(name: string, f: (x: number) => number) {
  return (st: EvalState, args: Value[], pos: PosIdx): Value => {
    const x = st.forceFloat(args[0]!, st.determinePos(args[0]!, pos), `while evaluating the first argument passed to builtins.${name}`)
    const v = st.force(args[0]!, pos)
    const isInt = typeof v === 'number' || typeof v === 'bigint'
    const r = f(x)
    if (!(r >= -9223372036854775808 && r < 9223372036854775808)) {
      if (isInt) throw new EvalError(`${BUG_12899} the NixInt argument ${v} caused undefined behavior in previous Nix versions${FUTURE}`, pos)
      throw new EvalError(`NixFloat argument ${formatG(x)} is not in the range of NixInt`, pos)
    }
    const res = Number.isSafeInteger(r) ? r + 0 : intFromBig(BigInt(r))!
    if (isInt && BigInt(v) !== BigInt(res)) {
      throw new EvalError(`${BUG_12899} a loss of precision occurred in previous Nix versions because the NixInt argument ${v} was rounded to ${res}${FUTURE}`, pos)
    }
    return res
  }
}

export const arithBuiltins: BuiltinGroup = {
  name: 'arith',
  primops: [
    { name: '__add', arity: 2, args: ['e1', 'e2'], impl: add },
    { name: '__sub', arity: 2, args: ['e1', 'e2'], impl: sub },
    { name: '__mul', arity: 2, args: ['e1', 'e2'], impl: mul },
    { name: '__div', arity: 2, args: ['e1', 'e2'], impl: div },
    { name: '__bitAnd', arity: 2, args: ['e1', 'e2'], impl: bitOp('bitAnd', (a, b) => a & b, (a, b) => a & b) },
    { name: '__bitOr', arity: 2, args: ['e1', 'e2'], impl: bitOp('bitOr', (a, b) => a | b, (a, b) => a | b) },
    { name: '__bitXor', arity: 2, args: ['e1', 'e2'], impl: bitOp('bitXor', (a, b) => a ^ b, (a, b) => a ^ b) },
    {
      name: '__lessThan', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => lessThan(st, st.force(args[0]!, pos), st.force(args[1]!, pos), 0, ''),
    },
    { name: '__ceil', arity: 1, args: ['number'], impl: rounding('ceil', Math.ceil) },
    { name: '__floor', arity: 1, args: ['number'], impl: rounding('floor', Math.floor) },
  ],
}
