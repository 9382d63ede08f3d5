/**
 * The pre-1.16 path queries, answered from the path info (Nix 2.8 still served them;
 * 2.34 dropped them; clients use them only with daemons older than 1.16 / 1.12).
 */
import { type Handler, type HandlerDeps, notValid } from './context.js'

export function queryPathHash(d: HandlerDeps): Handler<'QueryPathHash'> {
  return {
    async run(req) {
      const info = await d.store.queryPathInfo(req.path)
      if (!info) throw notValid(d.store.storeDir, req.path)
      return info.narHash
    },
  }
}

export function queryReferences(d: HandlerDeps): Handler<'QueryReferences'> {
  return {
    async run(req) {
      const info = await d.store.queryPathInfo(req.path)
      if (!info) throw notValid(d.store.storeDir, req.path)
      return info.references
    },
  }
}

export function hasSubstitutes(d: HandlerDeps): Handler<'HasSubstitutes'> {
  return { run: async req => (await d.store.querySubstitutablePaths([req.path])).length > 0 }
}
