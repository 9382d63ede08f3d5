/**
 * `nix-instantiate` without `--eval`: find the derivations in the value (C++ get-drvs.cc
 * `getDerivations`) and print each one's `.drv` path, with `!output` unless it is `out`
 * (C++ nix-instantiate.cc `processExpr`). The `.drv` files were written by `derivationStrict`
 * while forcing `drvPath`.
 */
import { EvalError, NixTypeError } from '../eval/errors.js'
import type { EvalState } from '../eval/eval-state.js'
import { noPos } from '../eval/pos.js'
import { Attrs, type Value, isList, listItems } from '../eval/value.js'

/** C++ get-drvs.cc `attrRegex`: attribute names nix-env/nix-instantiate look into. */
const ATTR_NAME = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/

interface Found { drvPath: string; outputName: string }

function isDerivation(st: EvalState, v: Value): v is Attrs {
  return v instanceof Attrs && st.isDerivation(v)
}

/** C++ `getDerivation`: true when `v` is not a derivation (so the caller may recurse). */
function getDerivation(st: EvalState, v: Value, out: Found[], done: Set<Attrs>): boolean {
  const w = st.force(v, noPos)
  if (!isDerivation(st, w)) return true
  if (done.has(w)) return false
  done.add(w)
  const name = w.get('name')
  if (name === undefined) throw new EvalError('derivation name missing')
  st.forceStringNoCtx(name, noPos, "while evaluating the 'name' attribute of a derivation")
  const dp = w.get('drvPath')
  if (dp === undefined) throw new EvalError("derivation does not contain a 'drvPath' attribute")
  const drvPath = st.coerceToString(noPos, dp, new Set(), "while evaluating the 'drvPath' attribute of a derivation", false, false)
  const on = w.get('outputName')
  const outputName = on === undefined ? '' : st.forceStringNoCtx(on, noPos, "while evaluating the output name of a derivation")
  out.push({ drvPath, outputName })
  return false
}

function getDerivations(st: EvalState, vIn: Value, autoArgs: Attrs, out: Found[], done: Set<Attrs>): void {
  const v = st.force(st.autoCallFunction(autoArgs, vIn), noPos)
  if (!getDerivation(st, v, out, done)) return
  if (v instanceof Attrs) {
    const combine = v.has('_combineChannels')
    for (const name of v.keys()) {
      try {
        if (!ATTR_NAME.test(name)) continue
        const x = v.get(name)!
        if (combine) getDerivations(st, x, autoArgs, out, done)
        else if (getDerivation(st, x, out, done)) {
          const xv = st.force(x, noPos)
          if (xv instanceof Attrs) {
            const r = xv.get('recurseForDerivations')
            if (r !== undefined && st.forceBool(r, xv.posOf('recurseForDerivations'), 'while evaluating the attribute `recurseForDerivations`')) {
              getDerivations(st, xv, autoArgs, out, done)
            }
          }
        }
      } catch (e) {
        if (e instanceof EvalError) e.addTrace(v.posOf(name), `while evaluating the attribute '${name}'`)
        throw e
      }
    }
    return
  }
  if (isList(v)) {
    for (const x of listItems(v)) if (getDerivation(st, x, out, done)) getDerivations(st, x, autoArgs, out, done)
    return
  }
  throw new NixTypeError('expression does not evaluate to a derivation (or a set or list of those)')
}

/** `OutputHooks.instantiate`: the lines nix-instantiate prints for a value. */
export function instantiateHook(st: EvalState, v: Value, autoArgs: Attrs): string[] {
  const found: Found[] = []
  getDerivations(st, v, autoArgs, found, new Set())
  const lines: string[] = []
  for (const f of found) {
    if (f.outputName === '') throw new EvalError(`derivation '${f.drvPath}' lacks an 'outputName' attribute`)
    if (!st.extensions.has('gc-warned')) {
      st.extensions.set('gc-warned', true)
      st.warn("you did not specify '--add-root'; the result might be removed by the garbage collector")
    }
    lines.push(f.drvPath + (f.outputName !== 'out' ? `!${f.outputName}` : ''))
  }
  // printed paths are valid paths: writes batched by the store must be done
  st.io.store?.flush?.()
  return lines
}
