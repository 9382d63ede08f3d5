/** QueryDerivationOutputMap: A derivation's outputs: name → path (none for unrealised floating outputs). */
import { type Handler, type HandlerDeps } from './context.js'

export function queryDerivationOutputMap(d: HandlerDeps): Handler<'QueryDerivationOutputMap'> {
  return { run: req => d.store.queryDerivationOutputMap(req.path) }
}
