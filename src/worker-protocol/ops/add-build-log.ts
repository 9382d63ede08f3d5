/** AddBuildLog (1.32): store a derivation's build log; trusted clients only (refused after startWork). */
import { NotPrivilegedError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addBuildLog(d: HandlerDeps): Handler<'AddBuildLog'> {
  return {
    async run(req, io) {
      if (!d.trusted) throw new NotPrivilegedError('you are not privileged to add logs')
      await d.store.addBuildLog(opContext(d, io), req.drvPath, io.upload!)
      return undefined
    },
  }
}
