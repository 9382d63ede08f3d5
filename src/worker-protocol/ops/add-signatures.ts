/** AddSignatures: Add signatures to a path (2.34 lets any client do it; the store checks nothing here). */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addSignatures(d: HandlerDeps): Handler<'AddSignatures'> {
  return { run: async (req, io) => { await d.store.addSignatures(opContext(d, io), req.path, req.sigs); return undefined } }
}
