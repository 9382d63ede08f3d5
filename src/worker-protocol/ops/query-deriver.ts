/** QueryDeriver (obsolete since 1.16): the derivation a path was built from, if known. */
import { type Handler, type HandlerDeps, notValid } from './context.js'

export function queryDeriver(d: HandlerDeps): Handler<'QueryDeriver'> {
  return {
    async run(req) {
      const info = await d.store.queryPathInfo(req.path)
      if (!info) throw notValid(d.store.storeDir, req.path)
      return info.deriver
    },
  }
}
