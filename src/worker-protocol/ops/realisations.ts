/**
 * RegisterDrvOutput and QueryRealisation (CA derivations), in the classic encodings: below
 * 1.31 a DrvOutput and an out path; from 1.31 realisation JSON. The 2.35+ feature forms
 * (keyed by derivation path) are not offered by this daemon, so they are refused.
 */
import { printDrvOutput } from '../../store-path/index.js'
import { UnsupportedOpError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function registerDrvOutput(d: HandlerDeps): Handler<'RegisterDrvOutput'> {
  return {
    async run(req, io) {
      if (req.kind === 'keyed') throw new UnsupportedOpError('realisations keyed by derivation path are not supported')
      const realisation = req.kind === 'json' ? req.realisation : { id: req.id, outPath: req.outPath, signatures: [], dependentRealisations: new Map() }
      await d.store.registerDrvOutput(opContext(d, io), realisation)
      return undefined
    },
  }
}

export function queryRealisation(d: HandlerDeps): Handler<'QueryRealisation'> {
  return {
    async run(req, io) {
      if (req.kind === 'path') throw new UnsupportedOpError('realisations keyed by derivation path are not supported')
      const r = await d.store.queryRealisation(printDrvOutput(req.id))
      if (io.conn.codec.version < 0x11f) return { kind: 'paths', paths: r ? [r.outPath] : [] }
      return { kind: 'realisations', realisations: r ? [r] : [] }
    },
  }
}
