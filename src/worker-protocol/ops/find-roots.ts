/**
 * FindRoots: every GC root, as (link, target) pairs, one pair per link. Untrusted clients
 * get the link names censored (C++ `findRoots(!trusted)`).
 */
import type { GCRoot } from '../codec/index.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function findRoots(d: HandlerDeps): Handler<'FindRoots'> {
  return {
    async run(_req, io) {
      const roots = await d.store.findRoots(opContext(d, io), !d.trusted)
      const out: GCRoot[] = []
      for (const [target, links] of roots) for (const link of links) out.push({ link, target })
      return out
    },
  }
}
