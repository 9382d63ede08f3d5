/**
 * CollectGarbage. `ignoreLiveness` is always refused (after startWork, as C++); the feature
 * form's `deleteReferrers` is not supported by the store yet. `maxFreed` passes through as
 * C++ has it: 2^64-1 (what clients send by default) is no limit, 0 deletes nothing.
 */
import { UnsupportedOpError } from '../errors.js'
import { NixError } from '../../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function collectGarbage(d: HandlerDeps): Handler<'CollectGarbage'> {
  return {
    async run(req, io) {
      if (req.ignoreLiveness) throw new NixError('ERR_IGNORE_LIVENESS', 'you are not allowed to ignore liveness')
      const p = req.pathsToDelete
      if (p.kind === 'specific' && p.deleteReferrers) throw new UnsupportedOpError('deleting referrers is not supported')
      return d.store.collectGarbage(opContext(d, io), {
        action: req.action,
        pathsToDelete: p.kind === 'specific' ? p.paths : [],
        ignoreLiveness: false,
        maxFreed: req.maxFreed,
      })
    },
  }
}
