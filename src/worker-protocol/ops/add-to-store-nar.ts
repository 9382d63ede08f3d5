/**
 * AddToStoreNar: a path with its stated info and NAR (framed from 1.23, pulled with
 * STDERR_READ at 1.21–1.22, raw before). Untrusted clients cannot skip signature checks nor
 * claim `ultimate`.
 */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addToStoreNar(d: HandlerDeps): Handler<'AddToStoreNar'> {
  return {
    async run(req, io) {
      const info = d.trusted ? req.info : { ...req.info, ultimate: false }
      await d.store.addToStoreNar(opContext(d, io), info, io.upload!, { repair: req.repair, dontCheckSigs: d.trusted && req.dontCheckSigs })
      return undefined
    },
  }
}
