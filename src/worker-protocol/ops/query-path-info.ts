/** QueryPathInfo: A path's metadata; an invalid path is `valid = false`, not an error (≥ 1.17). */
import { type Handler, type HandlerDeps } from './context.js'

export function queryPathInfo(d: HandlerDeps): Handler<'QueryPathInfo'> {
  // The reply codec writes the unkeyed fields only: the record goes out as it is (no copy per request).
  // A cached path info is answered synchronously (the connection then needs no promise).
  const store = d.store
  return { run: req => store.queryPathInfoNow ? store.queryPathInfoNow(req.path) : store.queryPathInfo(req.path) }
}
