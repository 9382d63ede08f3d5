/** EnsurePath: Make a path valid, substituting it if need be. */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function ensurePath(d: HandlerDeps): Handler<'EnsurePath'> {
  return { run: async (req, io) => { await d.store.ensurePath(opContext(d, io), req.path); return undefined } }
}
