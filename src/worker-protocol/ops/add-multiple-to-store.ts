/**
 * AddMultipleToStore (1.32): a framed stream of u64 count, then per path its ValidPathInfo
 * (1.16 layout) and raw NAR, in dependency order. `ultimate` is always cleared (C++ does);
 * untrusted clients cannot skip signature checks.
 */
import { ByteSource } from '../../wire/index.js'
import { AddMultipleCountCodec, AddMultipleItemCodec } from '../codec/index.js'
import { NarUpload } from '../uploads.js'
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addMultipleToStore(d: HandlerDeps): Handler<'AddMultipleToStore'> {
  return {
    async run(req, io) {
      const ctx = opContext(d, io)
      const src = new ByteSource(io.upload!)
      const n = await src.decode(r => AddMultipleCountCodec.read(r, io.conn.codec), 'path count')
      for (let i = 0; i < n; i++) {
        const info = await src.decode(r => AddMultipleItemCodec.read(r, io.conn.codec), 'path info')
        const nar = NarUpload.from(src)
        await d.store.addToStoreNar(ctx, { ...info, ultimate: false }, nar, { repair: req.repair, dontCheckSigs: d.trusted && req.dontCheckSigs })
        if (!nar.finished) await nar.drain()
      }
      return undefined
    },
  }
}
