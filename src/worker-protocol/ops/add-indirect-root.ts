/**
 * AddIndirectRoot: the client made a symlink to a store path (e.g. `./result`) and asks the
 * daemon to record it under gcroots/auto. A relative path is taken relative to the daemon's
 * working directory, as C++ `absPath` does.
 */
import { resolve } from 'node:path'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addIndirectRoot(d: HandlerDeps): Handler<'AddIndirectRoot'> {
  return { run: async (req, io) => { await d.store.addIndirectRoot(opContext(d, io), resolve(req.path)); return undefined } }
}
