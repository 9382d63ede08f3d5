/**
 * BuildPaths and BuildPathsWithResults. Repairing is refused for untrusted clients before
 * startWork (so, as in C++, the client gets the error twice and the connection closes).
 * BuildPaths reports failures as an error (one failure: its message; several: "build of …
 * failed", after logging each); BuildPathsWithResults returns them in the results.
 */
import { NixError } from '../../errors.js'
import { Verbosity } from '../../logger.js'
import { isSuccess, printDerivedPath } from '../../store-path/index.js'
import type { BuildMode } from '../../store/types.js'
import { NotPrivilegedError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

function checkRepair(d: HandlerDeps, mode: BuildMode): void {
  if (mode === 'repair' && !d.trusted) throw new NotPrivilegedError("repairing is not allowed because you are not in 'trusted-users'")
}

export class BuildFailedError extends NixError {
  constructor(message: string) { super('ERR_BUILD_FAILED', message) }
}

export function buildPaths(d: HandlerDeps): Handler<'BuildPaths'> {
  return {
    precheck: req => checkRepair(d, req.mode),
    async run(req, io) {
      const results = await d.store.buildPaths(opContext(d, io), req.paths, req.mode)
      const failed = results.filter(r => !isSuccess(r.status))
      if (failed.length === 1) throw new BuildFailedError(failed[0]!.errorMsg)
      if (failed.length > 1) {
        for (const f of failed) io.logger.log(Verbosity.Error, f.errorMsg)
        throw new BuildFailedError(`build of ${failed.map(f => `'${printDerivedPath(d.store.storeDir, f.path)}'`).join(', ')} failed`)
      }
      return undefined
    },
  }
}

export function buildPathsWithResults(d: HandlerDeps): Handler<'BuildPathsWithResults'> {
  return {
    precheck: req => checkRepair(d, req.mode),
    run: (req, io) => d.store.buildPaths(opContext(d, io), req.paths, req.mode),
  }
}

/** BuildDerivation (remote builds): needs the derivation model and a store entry point; not yet. */
export function buildDerivation(_d: HandlerDeps): Handler<'BuildDerivation'> {
  return { run: async () => { throw new BuildFailedError('BuildDerivation is not supported by this daemon yet') } }
}
