/** List builtins (C++ primops.cc "Lists"). Results keep elements lazy where C++ does. */
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, GenList, PrimOp, type Value } from '../value.js'
import { lessThan } from './arith.js'
import type { BuiltinGroup } from './registry.js'

/**
 * Nix's `peeksort` (libutil sort.hh, after Wild's PeekSort): a stable natural merge sort with
 * insertion sort below 17 elements. Reproduced step by step rather than "any stable sort":
 * with a comparator that is no strict weak order (`a <= b`, or one that traces), the result and
 * the sequence of comparator calls are those of C++ Nix.
 */
export function peeksort<T>(a: T[], comp: (x: T, y: T) => boolean): void {
  const n = a.length
  if (n < 2) return
  if (n === 2) {
    if (comp(a[1]!, a[0]!)) { const t = a[0]!; a[0] = a[1]!; a[1] = t }
    return
  }
  const buf = new Array<T>(n)
  const swap = (i: number, j: number): void => { const t = a[i]!; a[i] = a[j]!; a[j] = t }
  const merge = (begin: number, middle: number, end: number): void => {
    for (let i = begin; i < end; i++) buf[i - begin] = a[i]!
    const wm = middle - begin
    const we = end - begin
    let l = 0
    let r = wm
    let out = begin
    // `!comp(right, left)` takes the left element on ties: stable.
    while (l < wm && r < we) a[out++] = !comp(buf[r]!, buf[l]!) ? buf[l++]! : buf[r++]!
    while (l < wm) a[out++] = buf[l++]!
    while (r < we) a[out++] = buf[r++]!
  }
  const insertion = (begin: number, end: number): void => {
    for (let cur = begin + 1; cur < end; cur++) {
      for (let ip = cur; ip !== begin && comp(a[ip]!, a[ip - 1]!); ip--) swap(ip, ip - 1)
    }
  }
  type Cmp = (x: T, y: T) => boolean
  const notComp: Cmp = (x, y) => !comp(x, y)
  const decreasingPrefix = (begin: number, end: number, c: Cmp): number => {
    if (begin === end) return begin
    while (begin + 1 !== end && c(a[begin + 1]!, a[begin]!)) begin++
    return begin + 1
  }
  const decreasingSuffix = (begin: number, end: number, c: Cmp): number => {
    if (begin === end) return end
    while (end - 1 > begin && c(a[end - 1]!, a[end - 2]!)) end--
    return end - 1
  }
  const reverse = (i: number, j: number): void => { for (j--; i < j; i++, j--) swap(i, j) }
  // Sorts [begin, end) given that [begin, leftRunEnd) and [rightRunBegin, end) are sorted.
  const impl = (begin: number, end: number, leftRunEnd: number, rightRunBegin: number): void => {
    if (leftRunEnd === end || rightRunBegin === begin) return
    const length = end - begin
    if (length <= 16) { insertion(begin, end); return }
    const middle = begin + Math.floor(length / 2)
    if (middle <= leftRunEnd) {
      impl(leftRunEnd, end, leftRunEnd + 1, rightRunBegin)
      merge(begin, leftRunEnd, end)
      return
    }
    if (middle >= rightRunBegin) {
      impl(begin, rightRunBegin, leftRunEnd, rightRunBegin - 1)
      merge(begin, rightRunBegin, end)
      return
    }
    // The run containing middle - 1.
    let i: number
    let j: number
    if (!comp(a[middle]!, a[middle - 1]!)) {
      i = decreasingSuffix(leftRunEnd, middle, notComp)
      j = decreasingPrefix(middle - 1, rightRunBegin, notComp)
    } else {
      i = decreasingSuffix(leftRunEnd, middle, comp)
      j = decreasingPrefix(middle - 1, rightRunBegin, comp)
      reverse(i, j)
    }
    if (i === begin && j === end) return
    if (middle - i < j - middle) {
      impl(begin, i, leftRunEnd, i - 1)
      impl(i, end, j, rightRunBegin)
      merge(begin, i, end)
    } else {
      impl(begin, j, leftRunEnd, i)
      impl(j, end, j + 1, rightRunBegin)
      merge(begin, j, end)
    }
  }
  impl(0, n, 0, n)
}

export const listBuiltins: BuiltinGroup = {
  name: 'lists',
  primops: [
    {
      name: '__elemAt', arity: 2, args: ['xs', 'n'],
      impl: (st, args, pos) => {
        const n = st.forceInt(args[1]!, pos, "while evaluating the second argument passed to 'builtins.elemAt'")
        const l = st.forceListLazy(args[0]!, pos, "while evaluating the first argument passed to 'builtins.elemAt'")
        if (n < 0 || n >= l.length) throw new EvalError(`'builtins.elemAt' called with index ${n} on a list of size ${l.length}`, pos)
        return st.force(l instanceof GenList ? l.elem(Number(n)) : l[Number(n)]!, pos)
      },
    },
    {
      name: '__head', arity: 1, args: ['list'],
      impl: (st, args, pos) => {
        const l = st.forceListLazy(args[0]!, pos, "while evaluating the first argument passed to 'builtins.head'")
        if (l.length === 0) throw new EvalError("'builtins.head' called on an empty list", pos)
        return st.force(l instanceof GenList ? l.elem(0) : l[0]!, pos)
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
      impl: (st, args, pos) => st.forceListLazy(args[0]!, pos, 'while evaluating the first argument passed to builtins.length').length,
    },
    {
      name: "__foldl'", arity: 3, args: ['op', 'nul', 'list'],
      impl: (st, args, pos) => {
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.foldlStrict')
        const l = st.forceListLazy(args[2]!, pos, 'while evaluating the third argument passed to builtins.foldlStrict')
        if (l.length === 0) return st.force(args[1]!, pos)
        let acc: Value = args[1]!
        if (l instanceof GenList) {
          for (let i = 0; i < l.length; i++) {
            acc = st.call2(f, acc, l.elem(i), pos)
            l.settle(i)
          }
        } else {
          for (let i = 0; i < l.length; i++) acc = st.call2(f, acc, l[i]!, pos)
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
        // A JS array holds at most 2^32 - 1 elements (C++ would try to allocate them all).
        if (len > 0xffffffff) throw new EvalError(`cannot create list of size ${len}: larger than the evaluator supports`, pos)
        return st.mkGenList(f, Number(len))
      },
    },
    {
      name: '__sort', arity: 2, args: ['comparator', 'list'],
      impl: (st, args, pos) => {
        const l = st.forceList(args[1]!, pos, 'while evaluating the second argument passed to builtins.sort')
        if (l.length === 0) return l
        const f = st.forceFunction(args[0]!, pos, 'while evaluating the first argument passed to builtins.sort')
        // C++ sorts the element values themselves (forced first), not copies of them.
        for (const x of l) st.force(x, pos)
        const xs = l.slice()
        let less: (a: Value, b: Value) => boolean
        if (f instanceof PrimOp && f.name === 'lessThan') {
          less = (a, b) => lessThan(st, a, b, noPos, 'while evaluating the ordering function passed to builtins.sort')
        } else {
          less = (a, b) => st.forceBool(st.call2(f, a, b, noPos), pos, 'while evaluating the return value of the sorting function passed to builtins.sort')
        }
        peeksort(xs, less)
        return xs
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
          const name = st.symbols.internAndGet(st.forceStringNoCtx(st.callFunction(f, x, pos), pos, 'while evaluating the return value of the grouping function passed to builtins.groupBy'))
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
