/** QueryMissing: What building some derived paths would build, substitute or not know. */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function queryMissing(d: HandlerDeps): Handler<'QueryMissing'> {
  return { run: (req, io) => d.store.queryMissing(opContext(d, io), req.targets) }
}
