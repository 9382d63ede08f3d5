import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { pseudoRandomBytes } from '../castore/fixtures.js'
import { OffloadedSha256, SLOT } from './sha256-offload.js'

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

/** Feed `data` in pieces as stageNar does (commit before each new piece) and hash its first n bytes. */
async function offloaded(data: Uint8Array, piece: number, n: number, reuse = false): Promise<Uint8Array> {
  const h = new OffloadedSha256(stable && !reuse)
  const scratch = new Uint8Array(piece)
  for (let off = 0; off < data.length; off += piece) {
    let v = data.subarray(off, Math.min(data.length, off + piece))
    // A source that reuses its buffer: the hasher must have copied the previous piece.
    if (reuse) { scratch.set(v); v = scratch.subarray(0, v.length) }
    h.commitAll()
    await h.add(v)
  }
  return h.finish(n)
}

/** Whether `offloaded` declares its (unreused) pieces stable: the native thread-pool hasher where built. */
let stable = false

for (const mode of ['stable pieces', 'copied pieces']) describe(`OffloadedSha256, ${mode}`, () => {
  before(() => { stable = mode === 'stable pieces' })
  after(() => { stable = false })

  it('hashes a small stream on the calling thread, only the first n bytes', async () => {
    const data = pseudoRandomBytes(100_000, 1)
    assert.deepEqual(Buffer.from(await offloaded(data, 4096, data.length)), sha256(data))
    assert.deepEqual(Buffer.from(await offloaded(data, 4096, data.length - 100)), sha256(data.subarray(0, data.length - 100)))
  })

  it('hashes a large stream on a worker, with reused buffers, uneven pieces and a cut last piece', async function () {
    this.timeout(60_000)
    const data = pseudoRandomBytes(40 * SLOT + 12345, 2)
    for (const piece of [SLOT, 300_001, 65_536]) {
      assert.deepEqual(Buffer.from(await offloaded(data, piece, data.length, true)), sha256(data), `pieces of ${piece}`)
    }
    const lastStart = Math.floor((data.length - 1) / 300_001) * 300_001
    const n = lastStart + 17
    assert.deepEqual(Buffer.from(await offloaded(data, 300_001, n, true)), sha256(data.subarray(0, n)))
  })

  it('hashes on the calling thread when every worker is busy (many large streams at once)', async function () {
    this.timeout(60_000)
    const streams = Array.from({ length: 8 }, (_, i) => pseudoRandomBytes(6 * SLOT + 1000 * i, 10 + i))
    const got = await Promise.all(streams.map(d => offloaded(d, 250_000, d.length - 3, true)))
    got.forEach((g, i) => assert.deepEqual(Buffer.from(g), sha256(streams[i]!.subarray(0, streams[i]!.length - 3)), `stream ${i}`))
  })

  it('hashes a large stream of unreused pieces: uneven, many at once, a cut last piece', async function () {
    this.timeout(60_000)
    const data = pseudoRandomBytes(30 * SLOT + 777, 4)
    for (const piece of [SLOT, 300_001, 65_536]) {
      assert.deepEqual(Buffer.from(await offloaded(data, piece, data.length)), sha256(data), `pieces of ${piece}`)
    }
    const n = Math.floor((data.length - 1) / 300_001) * 300_001 + 5
    assert.deepEqual(Buffer.from(await offloaded(data, 300_001, n)), sha256(data.subarray(0, n)))
    const many = await Promise.all([1, 2, 3, 4, 5, 6].map(i => offloaded(data.subarray(i), SLOT, data.length - i - 1)))
    many.forEach((g, i) => assert.deepEqual(Buffer.from(g), sha256(data.subarray(i + 1, data.length - 1)), `stream ${i}`))
  })

  it('refuses to hash fewer bytes than were committed', async () => {
    const h = new OffloadedSha256()
    await h.add(new Uint8Array(10))
    h.commitAll()
    await h.add(new Uint8Array(10))
    await assert.rejects(h.finish(5), RangeError)
  })

  it('is reusable after an abort', async () => {
    const data = pseudoRandomBytes(8 * SLOT, 3)
    const h = new OffloadedSha256()
    for (let off = 0; off < data.length; off += SLOT) { h.commitAll(); await h.add(data.subarray(off, off + SLOT)) }
    h.abort()
    assert.deepEqual(Buffer.from(await offloaded(data, SLOT, data.length)), sha256(data))
  })
})
