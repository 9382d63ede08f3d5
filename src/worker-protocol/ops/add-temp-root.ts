/** AddTempRoot: Protect a path from GC for the life of this client. */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addTempRoot(d: HandlerDeps): Handler<'AddTempRoot'> {
  return { run: async (req, io) => { await d.store.addTempRoot(opContext(d, io), req.path); return undefined } }
}
