/**
 * AddToStore. From 1.25: name, method with algorithm, references, repair, and the dump framed
 * (a NAR for `nar`/`git`, the file for `flat`, the text for `text`); the reply is the path
 * info. Before 1.25: name, `fixed`, `recursive`, algorithm and a raw NAR; the reply is the path.
 * `fixed = false` is the old clients' way of saying sha256 + NAR (C++ "compatibility hack").
 */
import { type ContentAddressMethodWithAlgo, parseHashAlgo } from '../../store-path/index.js'
import { InvalidWireValueError, UnsupportedOpError } from '../errors.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function legacyMethod(req: { fixed: boolean; recursive: number; hashAlgo: string }): ContentAddressMethodWithAlgo {
  if (req.recursive > 1) throw new InvalidWireValueError('file ingestion method (you may need to upgrade nix-daemon)', req.recursive)
  if (!req.fixed) return { method: 'nar', algo: 'sha256' }
  return { method: req.recursive ? 'nar' : 'flat', algo: parseHashAlgo(req.hashAlgo) }
}

export function addToStore(d: HandlerDeps): Handler<'AddToStore'> {
  return {
    async run(req, io) {
      const ctx = opContext(d, io)
      if (req.kind === 'ca') {
        const info = await d.store.addToStore(ctx, req.name, req.method, req.references, io.upload!, req.repair)
        return { kind: 'info', info }
      }
      const method = legacyMethod(req)
      // the old request always sends a NAR; for a flat path the file would have to be taken out of it
      if (method.method !== 'nar') throw new UnsupportedOpError('adding a flat path with the pre-1.25 AddToStore request is not supported')
      const info = await d.store.addToStore(ctx, req.name, method, [], io.upload!, false)
      return { kind: 'path', path: info.path }
    },
  }
}
