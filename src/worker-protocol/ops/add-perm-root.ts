/** AddPermRoot (1.36): make `gcRoot` a permanent root to a path; trusted clients only. */
import { resolve } from 'node:path'
import { NotPrivilegedError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addPermRoot(d: HandlerDeps): Handler<'AddPermRoot'> {
  return {
    precheck() {
      // C++ checks this before reading the request; either way it is before startWork()
      if (!d.trusted) throw new NotPrivilegedError('you are not privileged to create perm roots\n\nhint: you can just do this client-side without special privileges, and probably want to do that instead.')
    },
    run: (req, io) => d.store.addPermRoot(opContext(d, io), req.path, resolve(req.gcRoot)),
  }
}
