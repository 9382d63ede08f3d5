/**
 * FramedUpload's synchronous hand-over of a payload that is already buffered whole, against
 * reading the same bytes by iteration. The framed bytes are built by hand (encodeFramed: u64
 * length + data per frame, then a zero length) with a trailer that belongs to the next request.
 */
import assert from 'node:assert/strict'
import { ByteSource, encodeFramed } from '../wire/index.js'
import { FramedUpload } from './uploads.js'

async function* chunks(...cs: Uint8Array[]): AsyncGenerator<Uint8Array> { yield* cs }

function framedWithTrailer(payload: Uint8Array, frameSize: number): Uint8Array {
  const f = encodeFramed(payload, frameSize)
  const all = new Uint8Array(f.length + 8)
  all.set(f)
  new DataView(all.buffer).setUint32(f.length, 42, true) // the next u64 on the connection
  return all
}

describe('worker-protocol: framed uploads', () => {
  const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)

  it('hands over a payload buffered whole, consuming exactly the framed bytes', async () => {
    const src = new ByteSource(chunks(framedWithTrailer(payload, 128)))
    assert.equal(await src.hasMore(), true) // buffers the chunk, as the connection has by then
    const up = new FramedUpload(src)
    const got = up.takeWhole(1000)
    assert.ok(got)
    assert.deepEqual(Buffer.concat(got), Buffer.from(payload))
    assert.equal(up.finished, true)
    await up.drain() // nothing left to drain
    assert.equal(await src.u64(), 42n)
  })

  it('declines (consuming nothing) when the payload is not all there or is over the bound; iteration reads it all', async () => {
    const all = framedWithTrailer(payload, 128)
    const src = new ByteSource(chunks(all.subarray(0, 200), all.subarray(200)))
    assert.equal(await src.hasMore(), true)
    const up = new FramedUpload(src)
    assert.equal(up.takeWhole(1000), undefined) // only 200 bytes buffered
    const src2 = new ByteSource(chunks(all))
    await src2.hasMore()
    const up2 = new FramedUpload(src2)
    assert.equal(up2.takeWhole(299), undefined) // 300 bytes of payload
    for (const [s, u] of [[src, up], [src2, up2]] as const) {
      const read: Uint8Array[] = []
      for await (const c of u) read.push(Uint8Array.from(c))
      assert.deepEqual(Buffer.concat(read), Buffer.from(payload))
      assert.equal(await s.u64(), 42n)
    }
  })
})
