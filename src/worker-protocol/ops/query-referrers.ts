/** QueryReferrers: Valid paths that refer to a path. */
import { type Handler, type HandlerDeps } from './context.js'

export function queryReferrers(d: HandlerDeps): Handler<'QueryReferrers'> {
  return { run: req => d.store.queryReferrers(req.path) }
}
