/**
 * How builtins are declared. Each file under `builtins/` exports a `BuiltinGroup`; `index.ts`
 * lists the groups. EvalState installs them like C++ Nix's `RegisterPrimOp`/`addConstant`:
 * a name starting with `__` is a global only with its prefix and appears in `builtins` without
 * it; other names are both globals and `builtins` attributes.
 *
 * A primop receives its arguments unforced (thunks possibly) and forces what it needs through
 * the EvalState helpers (`st.forceInt(args[0], pos, '…')`), which produce C++ Nix's errors.
 */
import type { EvalState } from '../eval-state.js'
import type { PosIdx } from '../pos.js'
import type { Value } from '../value.js'

export interface PrimOpDef {
  /** Registered name: `__add` (global only as `__add`, `builtins.add`) or `map` (global too). */
  readonly name: string
  readonly arity: number
  /** Argument names (documentation, `builtins.functionArgs` shows nothing for primops). */
  readonly args?: readonly string[]
  readonly impl: (st: EvalState, args: Value[], pos: PosIdx) => Value
  /** Only installed when this experimental feature is enabled. */
  readonly experimentalFeature?: string
  /** Not installed under pure evaluation. */
  readonly impureOnly?: boolean
  /** Whether a failure inside adds "while calling the 'name' builtin" (C++ PrimOp::addTrace). */
  readonly addTrace?: boolean
}

export interface ConstantDef {
  readonly name: string
  /** Computed once when the EvalState is created (may return a thunk). */
  readonly value: (st: EvalState) => Value
  readonly impureOnly?: boolean
}

/** A constant defined by Nix source (like C++ Nix's derivation.nix), evaluated lazily. */
export interface NixSourceDef {
  readonly name: string
  /** Origin label used in positions, e.g. `«nix-internal»/derivation-internal.nix`. */
  readonly path: string
  readonly source: string
}

export interface BuiltinGroup {
  /** For diagnostics only. */
  readonly name: string
  readonly primops?: readonly PrimOpDef[]
  readonly constants?: readonly ConstantDef[]
  readonly nixSources?: readonly NixSourceDef[]
}
