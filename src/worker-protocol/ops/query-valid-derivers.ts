/** QueryValidDerivers: Valid derivations that have a path as an output. */
import { type Handler, type HandlerDeps } from './context.js'

export function queryValidDerivers(d: HandlerDeps): Handler<'QueryValidDerivers'> {
  return { run: req => d.store.queryValidDerivers(req.path) }
}
