/** VerifyStore: check the store; repairing needs a trusted client (refused after startWork). */
import { NotPrivilegedError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function verifyStore(d: HandlerDeps): Handler<'VerifyStore'> {
  return {
    async run(req, io) {
      if (req.repair && !d.trusted) throw new NotPrivilegedError('you are not privileged to repair paths')
      return d.store.verifyStore(opContext(d, io), req.checkContents, req.repair)
    },
  }
}
