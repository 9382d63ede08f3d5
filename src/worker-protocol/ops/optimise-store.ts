/** OptimiseStore: Deduplicate the store by hard links. */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function optimiseStore(d: HandlerDeps): Handler<'OptimiseStore'> {
  return { run: async (_req, io) => { await d.store.optimiseStore(opContext(d, io)); return undefined } }
}
