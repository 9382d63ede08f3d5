import assert from 'node:assert/strict'
import { NixHash, StoreDir, StorePath, type UnkeyedPathInfo } from '../../store-path/index.js'
import { WireWriter } from '../../wire/index.js'
import { codecContext } from './context.js'
import { UnkeyedValidPathInfoCodec, writeUnkeyedValidPathInfoMemo } from './path-info.js'

describe('remembered QueryPathInfo reply bytes', () => {
  const info: UnkeyedPathInfo = {
    deriver: StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv'), narHash: NixHash.of('sha256', 'x'), references: [StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo')],
    registrationTime: 1, narSize: 2, ultimate: true, sigs: ['k:s'], ca: { method: 'text', hash: NixHash.of('sha256', 'y') },
  }
  const enc = (f: (w: WireWriter) => void) => { const w = new WireWriter(); f(w); return w.finish() }
  it('follow the version (the ≥ 1.16 fields) and the store directory of each connection', () => {
    // the codec itself is checked against C++ captures; the memo must never answer for another form
    for (const ctx of [codecContext({ version: 0x10f }), codecContext({ version: 0x126 }), codecContext({ version: 0x10f }), codecContext({ version: 0x126, storeDir: new StoreDir('/gnu/store') }), codecContext({ version: 0x126 })]) {
      assert.deepEqual(enc(w => writeUnkeyedValidPathInfoMemo(w, ctx, info)), enc(w => UnkeyedValidPathInfoCodec.write(w, ctx, info)))
    }
  })
})
