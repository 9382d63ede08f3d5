/** List builtins (C++ primops.cc "Lists"). Results keep elements lazy where C++ does. */
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, PrimOp, type Value } from '../value.js'
import { lessThan } from './arith.js'
import type { BuiltinGroup } from './registry.js'

/** Stable bottom-up merge sort calling `less(b, a)` once per comparison (like C++ peeksort, a merge sort). */
export function mergeSort<T>(xs: T[], less: (a: T, b: T) => boolean): T[] {
  let a = xs.slice()
  const n = a.length
  if (n < 2) return a
  // Insertion sort on small runs, then merge.
  const RUN = 16
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n)
    for (let i = lo + 1; i < hi; i++) {
      const x = a[i]!
      let j = i - 1
      while (j >= lo && less(x, a[j]!)) { a[j + 1] = a[j]!; j-- }
      a[j + 1] = x
    }
  }
  let b = new Array<T>(n)
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      let i = lo
      let j = mid
      let k = lo
      while (i < mid && j < hi) {
        if (less(a[j]!, a[i]!)) b[k++] = a[j++]!
        else b[k++] = a[i++]!
      }
      while (i < mid) b[k++] = a[i++]!
      while (j < hi) b[k++] = a[j++]!
    }
    const t = a; a = b; b = t
  }
  return a
}

export const listBuiltins: BuiltinGroup = {
  name: 'lists',
  primops: [
    {
      name: '__elemAt', arity: 2, args: ['xs', 'n'],
      impl: (st, args, pos) => {
        const n = st.forceInt(args[1]!, pos, "while evaluating the second argument passed to 'builtins.elemAt'")
        const l = st.forceList(args[0]!, pos, "while evaluating the first argument passed to 'builtins.elemAt'")
        if (n < 0 || n >= l.length) throw new EvalError(`'builtins.elemAt' called with index ${n} on a list of size ${l.length}`, pos)
        return st.force(l[Number(n)]!, pos)
      },
    },
    {
      name: '__head', arity: 1, args: ['list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[0]!, pos, "while evaluating the first argument passed to 'builtins.head'")
        if (l.length === 0) throw new EvalError("'builtins.head' called on an empty list", pos)
        return st.force(l[0]!, pos)
      },
    },
    {
      name: '__tail', arity: 1, args: ['list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[0]!, pos, "while evaluating the first argument passed to 'builtins.tail'")
        if (l.length === 0) throw new EvalError("'builtins.tail' called on an empty list", pos)
        return l.slice(1)
      },
    },
    {
      name: 'map', arity: 2, args: ['f', 'list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.map')
        if (l.length === 0) return l
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.map')
        const out = new Array<Value>(l.length)
        for (let i = 0; i < l.length; i++) out[i] = st.mkApp(f, l[i]!)
        return out
      },
    },
    {
      name: '__filter', arity: 2, args: ['f', 'list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.filter')
        if (l.length === 0) return l
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.filter')
        const out: Value[] = []
        for (const x of l) {
          if (st.forceBool(st.callFunction(f, x, noPos), pos, 'while evaluating the return value of the filtering function passed to builtins.filter')) out.push(x)
        }
        return out.length === l.length ? l : out
      },
    },
    {
      name: '__elem', arity: 2, args: ['x', 'xs'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.elem')
        for (const y of l) if (st.eqValues(args[0]!, y, pos, 'while searching for the presence of the given element in the list')) return true
        return false
      },
    },
    {
      name: '__concatLists', arity: 1, args: ['lists'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[0]!, pos, 'while evaluating the first argument passed to builtins.concatLists')
        const out: Value[] = []
        for (const x of l) for (const y of st.forceList(x, pos, 'while evaluating a value of the list passed to builtins.concatLists')) out.push(y)
        return out
      },
    },
    {
      name: '__length', arity: 1, args: ['e'],
      impl: (st, args, pos) => st.forceList(args[0]!, pos, 'while evaluating the first argument passed to builtins.length').length,
    },
    {
      name: "__foldl'", arity: 3, args: ['op', 'nul', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.foldlStrict')
        const l = st.forceList(args[2]!, pos, 'while evaluating the third argument passed to builtins.foldlStrict')
        if (l.length === 0) return st.force(args[1]!, pos)
        let acc: Value = args[1]!
        const pair: Value[] = [null, null]
        for (let i = 0; i < l.length; i++) {
          pair[0] = acc
          pair[1] = l[i]!
          acc = st.callFunctionN(f, pair.slice(), pos)
        }
        return st.force(acc, pos)
      },
    },
    { name: '__any', arity: 2, args: ['pred', 'list'], impl: (st, args, pos) => anyOrAll(st, args, pos, true) },
    { name: '__all', arity: 2, args: ['pred', 'list'], impl: (st, args, pos) => anyOrAll(st, args, pos, false) },
    {
      name: '__genList', arity: 2, args: ['generator', 'length'],
      impl: (st, args, pos) => {
        const len = st.forceInt(args[1]!, pos, 'while evaluating the second argument passed to builtins.genList')
        if (len < 0) throw new EvalError(`cannot create list of size ${len}`, pos)
        const f = st.forceFunction(args[0]!, noPos, 'while evaluating the first argument passed to builtins.genList')
        const n = Number(len)
        const out = new Array<Value>(n)
        for (let i = 0; i < n; i++) out[i] = st.mkApp(f, i)
        return out
      },
    },
    {
      name: '__sort', arity: 2, args: ['comparator', 'list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.sort')
        if (l.length === 0) return l
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.sort')
        const xs = l.map(x => st.force(x, pos))
        let less: (a: Value, b: Value) => boolean
        if (f instanceof PrimOp && f.name === 'lessThan') {
          less = (a, b) => lessThan(st, a, b, noPos, 'while evaluating the ordering function passed to builtins.sort')
        } else {
          less = (a, b) => st.forceBool(st.callFunctionN(f, [a, b], noPos), pos, 'while evaluating the return value of the sorting function passed to builtins.sort')
        }
        return mergeSort(xs, less)
      },
    },
    {
      name: '__partition', arity: 2, args: ['pred', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.partition')
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.partition')
        const right: Value[] = []
        const wrong: Value[] = []
        for (const x of l) {
          st.force(x, pos)
          if (st.forceBool(st.callFunction(f, x, pos), pos, 'while evaluating the return value of the partition function passed to builtins.partition')) right.push(x)
          else wrong.push(x)
        }
        return new Attrs(new Map<string, Value>([['right', right], ['wrong', wrong]]))
      },
    },
    {
      name: '__groupBy', arity: 2, args: ['f', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.groupBy')
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.groupBy')
        const groups = new Map<string, Value[]>()
        for (const x of l) {
          const name = st.forceStringNoCtx(st.callFunction(f, x, pos), pos, 'while evaluating the return value of the grouping function passed to builtins.groupBy')
          let g = groups.get(name)
          if (!g) { g = []; groups.set(name, g) }
          g.push(x)
        }
        return new Attrs(groups as Map<string, Value>)
      },
    },
    {
      name: '__concatMap', arity: 2, args: ['f', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.concatMap')
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.concatMap')
        const out: Value[] = []
        const fpos = st.determinePos(f, pos)
        for (const x of l) {
          const res = st.callFunction(f, x, pos)
          const r = st.forceList(res, st.determinePos(res, fpos), 'while evaluating the return value of the function passed to builtins.concatMap')
          for (const y of r) out.push(y)
        }
        return out
      },
    },
  ],
}

function anyOrAll(st: EvalState, args: Value[], pos: PosIdx, any: boolean): Value {
  const name = any ? 'any' : 'all'
  const f = st.forceFunction(args[0]!, pos, `while evaluating the first argument passed to builtins.${name}`)
  const l = st.forceList(args[1]!, pos, `while evaluating the second argument passed to builtins.${name}`)
  for (const x of l) {
    const r = st.forceBool(st.callFunction(f, x, pos), pos, `while evaluating the return value of the function passed to builtins.${name}`)
    if (r === any) return any
  }
  return !any
}
