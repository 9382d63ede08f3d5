/**
 * `builtins.fromTOML` (C++ primops/fromTOML.cc) over the toml11-compatible parser in ../toml:
 * tables become sets, integers int64, dates/times `{ _type = "timestamp"; value = …; }` with
 * the `parse-toml-timestamps` feature (an error otherwise), errors `while parsing TOML: …`.
 */
import { EvalError, hintArg } from '../errors.js'
import { fromToml, FromTomlError, type FromTomlValue } from '../toml/index.js'
import { Attrs, intFromBig, NixFloat, type Value } from '../value.js'
import type { BuiltinGroup } from './registry.js'

function toValue(v: FromTomlValue): Value {
  if (typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'bigint') return intFromBig(v)!
  if (typeof v === 'number') return new NixFloat(v)
  if (Array.isArray(v)) return v.map(toValue)
  if (v instanceof Map) return new Attrs(new Map([...v].map(([k, x]) => [k, toValue(x)])))
  return new Attrs(new Map<string, Value>([['_type', 'timestamp'], ['value', v.value]]))
}

export const tomlBuiltins: BuiltinGroup = {
  name: 'toml',
  primops: [{
    name: 'fromTOML', arity: 1, args: ['e'],
    impl: (st, args, pos) => {
      const s = st.forceString(args[0]!, pos, 'while evaluating the argument passed to builtins.fromTOML')
      try {
        return toValue(fromToml(s, { timestamps: st.settings.experimentalFeatures.has('parse-toml-timestamps') }))
      } catch (e) {
        // C++: `error<EvalError>("while parsing TOML: %s", e.what())`: HintFmt colours its
        // argument, and the colour's closing code keeps the report's final newline from being
        // chomped: printed without colours, the error ends with a blank, indented line.
        if (e instanceof FromTomlError) throw new EvalError(`while parsing TOML: ${hintArg(e.detail)}`, pos)
        throw e
      }
    },
  }],
}
