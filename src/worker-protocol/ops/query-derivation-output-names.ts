/** QueryDerivationOutputNames (obsolete since 1.21): a derivation's output names. */
import type { Handler, HandlerDeps } from './context.js'

export function queryDerivationOutputNames(d: HandlerDeps): Handler<'QueryDerivationOutputNames'> {
  return { run: async req => [...(await d.store.queryDerivationOutputMap(req.path)).keys()] }
}
