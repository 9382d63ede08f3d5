/**
 * Forcing thunks (C++ `EvalState::forceValue`): blackholing to detect infinite recursion, and —
 * since Nix 2.34 — memoising failures: a thunk whose evaluation threw keeps the error and every
 * later force rethrows a copy (so trace frames added by later callers do not leak into it,
 * while the frames added during the first propagation stay, as in C++).
 */
import { EvalError, InfiniteRecursionError } from './errors.js'
import { noPos, type PosIdx } from './pos.js'
import { BLACKHOLE, FAILED, Thunk, type Value, codePos } from './value.js'

export function forceThunk(t: Thunk, pos: PosIdx = noPos): Value {
  const code = t.code
  if (code === null) return t.value as Value
  if (code === BLACKHOLE) throw new InfiniteRecursionError('infinite recursion encountered', pos !== noPos ? pos : codePos(t.value))
  if (code === FAILED) throw (t.value as EvalError).clone()
  const operand = t.value
  t.code = BLACKHOLE
  t.value = code
  let v: Value
  try {
    v = code(t.env!, pos, operand)
  } catch (e) {
    if (e instanceof EvalError) {
      if (e instanceof InfiniteRecursionError && e.pos === noPos) e.pos = pos
      t.code = FAILED
      t.value = e
      t.env = null
    } else {
      t.code = code
      t.value = operand
    }
    throw e
  }
  t.code = null
  t.value = v
  t.env = null
  return v
}

/** Weak head normal form of `v`. */
export function force(v: Value): Value {
  return v instanceof Thunk ? forceThunk(v) : v
}

/** Like `force`, with the position of the forcing site for infinite-recursion errors. */
export function forceAt(v: Value, pos: PosIdx): Value {
  return v instanceof Thunk ? forceThunk(v, pos) : v
}
