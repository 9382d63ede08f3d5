/** QueryAllValidPaths: Every valid path. */
import { type Handler, type HandlerDeps } from './context.js'

export function queryAllValidPaths(d: HandlerDeps): Handler<'QueryAllValidPaths'> {
  return { run: () => d.store.queryAllValidPaths() }
}
