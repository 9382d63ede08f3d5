/**
 * Placeholders for `derivation` and `derivationStrict` until the derivation group (built on
 * src/derivation: ATerm, hashDerivationModulo) is registered: the names exist so that code
 * mentioning them parses; calling them is an error. A later group registering the same names
 * replaces these (registration order in index.ts).
 */
import { EvalError } from '../errors.js'
import type { BuiltinGroup } from './registry.js'

const unsupported = (): never => { throw new EvalError('derivations are not supported by this evaluator yet') }

export const derivationStubBuiltins: BuiltinGroup = {
  name: 'derivation-stub',
  primops: [
    { name: 'derivationStrict', arity: 1, impl: unsupported },
    { name: 'derivation', arity: 1, impl: unsupported },
  ],
}
