/**
 * Control and diagnostics: throw, abort, tryEval, seq, deepSeq, trace, warn, addErrorContext,
 * break (C++ primops.cc).
 */
import { AbortError, AssertionError, EvalError, ThrownError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type PosIdx, noPos } from '../pos.js'
import { printValue } from '../print.js'
import { Attrs, NixString, type Value } from '../value.js'
import type { BuiltinGroup } from './registry.js'

function trace(st: EvalState, args: Value[], pos: PosIdx): Value {
  const v = st.force(args[0]!, pos)
  const shown = typeof v === 'string' ? v : v instanceof NixString ? v.s
    : printValue(v, { maxDepth: Infinity, maxAttrs: Infinity, maxListItems: Infinity, maxStringLength: Infinity, derivationPaths: false, trackRepeated: true, positions: st.positions })
  st.io.writeStderr(`trace: ${shown}\n`)
  return st.force(args[1]!, pos)
}

export const controlBuiltins: BuiltinGroup = {
  name: 'control',
  primops: [
    {
      name: 'throw', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const s = st.coerceToString(pos, args[0]!, new Set(), 'while evaluating the error message passed to builtin.throw')
        throw new ThrownError(s)
      },
    },
    {
      name: 'abort', arity: 1, args: ['s'],
      impl: (st, args, pos) => {
        const s = st.coerceToString(pos, args[0]!, new Set(), 'while evaluating the error message passed to builtins.abort')
        throw new AbortError(`evaluation aborted with the following error message: '${s}'`)
      },
    },
    {
      name: '__addErrorContext', arity: 2, addTrace: false,
      impl: (st, args, pos) => {
        try {
          return st.force(args[1]!, pos)
        } catch (e) {
          if (e instanceof EvalError) {
            const msg = st.coerceToString(pos, args[0]!, new Set(), 'while evaluating the error message passed to builtins.addErrorContext', false, false)
            e.addTrace(noPos, msg, true)
          }
          throw e
        }
      },
    },
    {
      name: '__tryEval', arity: 1, args: ['e'],
      impl: (st, args, pos) => {
        const depth = st.depth
        const m = new Map<string, Value>()
        try {
          st.force(args[0]!, pos)
          m.set('success', true)
          m.set('value', args[0]!)
        } catch (e) {
          if (!(e instanceof AssertionError)) throw e
          st.depth = depth
          m.set('success', false)
          m.set('value', false)
        }
        return new Attrs(m)
      },
    },
    {
      name: '__seq', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => { st.force(args[0]!, pos); return st.force(args[1]!, pos) },
    },
    {
      name: '__deepSeq', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => { st.forceDeep(args[0]!); return st.force(args[1]!, pos) },
    },
    { name: '__trace', arity: 2, args: ['e1', 'e2'], impl: trace },
    {
      name: '__traceVerbose', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => (st.settings.traceVerbose ? trace(st, args, pos) : st.force(args[1]!, pos)),
    },
    {
      name: '__warn', arity: 2, args: ['e1', 'e2'],
      impl: (st, args, pos) => {
        const msg = st.forceString(args[0]!, pos, 'while evaluating the first argument; the message passed to builtins.warn')
        st.warnAt(msg, pos)
        if (st.settings.abortOnWarn) throw new EvalError('aborting to reveal stack trace of warning, as abort-on-warn is set')
        return st.force(args[1]!, pos)
      },
    },
    { name: 'break', arity: 1, args: ['v'], impl: (st, args, pos) => st.force(args[0]!, pos) },
  ],
}
