/**
 * Forcing thunks (C++ `EvalState::forceValue`): blackholing to detect infinite recursion, and —
 * since Nix 2.34 — memoising failures: a thunk whose evaluation threw keeps the error and every
 * later force rethrows a copy (so trace frames added by later callers do not leak into it,
 * while the frames added during the first propagation stay, as in C++).
 */
import { EvalError, InfiniteRecursionError } from './errors.js'
import { noPos, type PosIdx } from './pos.js'
import type { Env } from './env.js'
import { BLACKHOLE, FAILED, FRESH_LIST, OWNS_LIST, Thunk, type Value } from './value.js'

export function forceThunk(t: Thunk, pos: PosIdx = noPos): Value {
  const code = t.code
  if (code === null) return t.value as Value
  // C++ (tryFixupBlackHolePos): the error is reported at the site that found the blackhole, if any.
  if (code === BLACKHOLE) throw new InfiniteRecursionError('infinite recursion encountered', pos)
  if (code === FAILED) throw (t.value as EvalError).clone()
  t.code = BLACKHOLE
  const extra = t.value
  let v: Value
  try {
    v = code(t.env!, pos, extra)
  } catch (e) {
    if (e instanceof EvalError) {
      t.code = FAILED
      t.value = e
      t.env = null
    } else {
      t.code = code
    }
    throw e
  }
  t.code = null
  t.value = v
  t.env = extra === FRESH_LIST ? OWNS_LIST as Env : null
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
