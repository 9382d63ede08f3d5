/** QuerySubstitutablePaths: The paths a substituter has. */
import { type Handler, type HandlerDeps } from './context.js'

export function querySubstitutablePaths(d: HandlerDeps): Handler<'QuerySubstitutablePaths'> {
  return { run: req => d.store.querySubstitutablePaths(req.paths) }
}
