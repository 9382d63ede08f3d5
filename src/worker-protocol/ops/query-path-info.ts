/** QueryPathInfo: A path's metadata; an invalid path is `valid = false`, not an error (≥ 1.17). */
import { type Handler, type HandlerDeps } from './context.js'

export function queryPathInfo(d: HandlerDeps): Handler<'QueryPathInfo'> {
  return { run: async req => { const i = await d.store.queryPathInfo(req.path); if (!i) return undefined; const { path: _p, ...unkeyed } = i; return unkeyed } }
}
