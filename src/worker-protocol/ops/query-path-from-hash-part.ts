/** QueryPathFromHashPart: The valid path with a given hash part, if any. */
import { type Handler, type HandlerDeps } from './context.js'

export function queryPathFromHashPart(d: HandlerDeps): Handler<'QueryPathFromHashPart'> {
  return { run: req => d.store.queryPathFromHashPart(req.hashPart) }
}
