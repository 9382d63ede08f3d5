/** QueryValidPaths: The valid subset of some paths; with `substitute` (≥ 1.27) missing ones are substituted first. */
import { type Handler, type HandlerDeps } from './context.js'

export function queryValidPaths(d: HandlerDeps): Handler<'QueryValidPaths'> {
  return { run: req => d.store.queryValidPaths(req.paths, { substitute: req.substitute }) }
}
