/**
 * `builtins.match` and `builtins.split` (C++ prim_match, prim_split) over the POSIX ERE engine
 * in ../regex (libstdc++'s semantics, cached compilation). `match` returns captures without
 * context; `split` gives its string pieces the input's context, its captures none.
 */
import { EvalError } from '../errors.js'
import { compilePosixEre, InvalidRegexError, RegexTooLargeError } from '../regex/index.js'
import { mkString, type Value } from '../value.js'
import type { BuiltinGroup } from './registry.js'

function compile(re: string, pos: number) {
  try {
    return compilePosixEre(re)
  } catch (e) {
    if (e instanceof InvalidRegexError || e instanceof RegexTooLargeError) throw new EvalError(e.message, pos)
    throw e
  }
}

export const regexBuiltins: BuiltinGroup = {
  name: 'regex',
  primops: [
    {
      name: '__match', arity: 2, args: ['regex', 'str'],
      impl: (st, args, pos) => {
        const re = st.forceStringNoCtx(args[0]!, 0, 'while evaluating the first argument passed to builtins.match')
        const regex = compile(re, pos)
        const s = st.forceString(args[1]!, 0, 'while evaluating the second argument passed to builtins.match')
        const caps = regex.matchWhole(s)
        return caps === null ? null : caps.map(c => c) as Value[]
      },
    },
    {
      name: '__split', arity: 2, args: ['regex', 'str'],
      impl: (st, args, pos) => {
        const re = st.forceStringNoCtx(args[0]!, 0, 'while evaluating the first argument passed to builtins.split')
        const regex = compile(re, pos)
        const { s, ctx } = st.forceStringCtx(args[1]!, 0, 'while evaluating the second argument passed to builtins.split')
        return regex.split(s).map(piece => (typeof piece === 'string' ? mkString(piece, ctx) : piece.map(c => c) as Value[])) as Value[]
      },
    },
  ],
}
