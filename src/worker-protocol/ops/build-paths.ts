/**
 * BuildPaths and BuildPathsWithResults. Repairing is refused for untrusted clients before
 * startWork (so, as in C++, the client gets the error twice and the connection closes).
 * BuildPaths reports failures as an error (one failure: its message; several: "build of …
 * failed", after logging each); BuildPathsWithResults returns them in the results.
 */
import { derivationStoreInfo, derivationType, isContentAddressed } from '../../derivation/index.js'
import { NixError } from '../../errors.js'
import { Verbosity } from '../../logger.js'
import { isSuccess } from '../../store-path/index.js'
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
      // C++ `Store::buildPaths`: failed targets are those not successful (also builds cancelled
      // because another failed, which carry no message); with exactly one, and it has an
      // error, that error is thrown; otherwise the errors are logged and one summary thrown.
      const results = await d.store.buildPaths(opContext(d, io), req.paths, req.mode)
      const failed = results.filter(r => !isSuccess(r.status))
      const errors = failed.filter(r => r.errorMsg !== '')
      if (failed.length === 1 && errors.length === 1) throw new BuildFailedError(errors[0]!.errorMsg)
      if (failed.length > 0) {
        for (const f of [...errors.slice(1), ...errors.slice(0, 1)]) io.logger.log(Verbosity.Error, `\x1b[31;1merror:\x1b[0m ${f.errorMsg.replace(/\n/g, '\n       ')}`)
        const names = [...new Set(failed.map(f => d.store.storeDir.print(f.path.kind === 'opaque' ? f.path.path : f.path.drvPath)))].sort()
        throw new BuildFailedError(`build of \x1b[35;1m${names.map(n => `'${n}'`).join(', ')}\x1b[0m failed`)
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

/**
 * BuildDerivation (remote builds, C++ daemon.cc): an untrusted client may only build
 * content-addressed derivations, and its derivation path is recomputed rather than believed.
 */
export function buildDerivation(d: HandlerDeps): Handler<'BuildDerivation'> {
  return {
    async run(req, io) {
      const store = d.store
      if (!store.buildDerivation) throw new BuildFailedError('this store cannot build derivations')
      const type = derivationType(req.drv)
      if (!d.trusted && !isContentAddressed(type)) throw new NotPrivilegedError('you are not privileged to build input-addressed derivations')
      let drvPath = req.drvPath
      if (!d.trusted) {
        const full = { ...req.drv, inputDrvs: [] }
        const { text, references } = derivationStoreInfo(full, store.storeDir)
        const info = await store.addToStore(opContext(d, io), `${req.drv.name}.drv`, { method: 'text', algo: 'sha256' }, references, oneChunk(new TextEncoder().encode(text)), false)
        drvPath = info.path
      }
      return store.buildDerivation(opContext(d, io), drvPath, req.drv, req.mode)
    },
  }
}

async function* oneChunk(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }
