/**
 * What every BlobService must do (tvix castore/src/blobservice/tests), run against each
 * backend by blob-service.test.ts. `make` returns a fresh, empty service.
 */
import assert from 'node:assert/strict'
import type { BlobService } from './blob-service.js'
import { B3Digest } from './digest.js'
import { CastoreError } from './errors.js'
import { BLOB_A, BLOB_B, EMPTY_BLOB, pseudoRandomBytes } from './fixtures.js'

export async function readAll(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of it) parts.push(p)
  return Buffer.concat(parts)
}

async function writeInPieces(svc: BlobService, data: Uint8Array, piece: number): Promise<B3Digest> {
  const w = svc.openWrite()
  for (let i = 0; i < data.length; i += piece) await w.write(data.subarray(i, i + piece))
  assert.equal(w.written, data.length)
  return w.close()
}

/** 3 MiB: more than one chunk under any chunking we configure. */
const BLOB_C = pseudoRandomBytes(3 * 1024 * 1024, 7)

export function blobServiceSuite(make: () => Promise<BlobService>, opts: { chunked: boolean }): void {
  let svc: BlobService
  beforeEach(async () => { svc = await make() })

  it('has() is false, chunks() and open() are undefined for an absent blob', async () => {
    const d = B3Digest.of(BLOB_A)
    assert.equal(await svc.has(d), false)
    assert.equal(await svc.chunks(d), undefined)
    assert.equal(await svc.open(d), undefined)
  })

  for (const [name, data] of [['EMPTY_BLOB', EMPTY_BLOB], ['BLOB_A', BLOB_A], ['BLOB_B', BLOB_B], ['BLOB_C (3 MiB)', BLOB_C]] as const) {
    it(`stores and reads back ${name}`, async () => {
      const want = B3Digest.of(data)
      const d = await writeInPieces(svc, data, 65536 + 3)
      assert.ok(d.equals(want), 'returned digest must be BLAKE3 of the contents')
      await svc.sync()
      assert.equal(await svc.has(d), true)
      const r = await svc.open(d)
      assert.ok(r)
      assert.equal(r.size, data.length)
      assert.ok(Buffer.from(await readAll(r.read())).equals(Buffer.from(data)))
      assert.ok(Buffer.from((await svc.readAll(d))!).equals(Buffer.from(data)), 'readAll() agrees')
    })
  }

  it('readAll() is undefined for an absent blob and refuses one above maxSize', async () => {
    assert.equal(await svc.readAll(B3Digest.of(BLOB_A)), undefined)
    const d = await svc.put(BLOB_C)
    await assert.rejects(svc.readAll(d, { maxSize: 1000 }), CastoreError)
    assert.equal((await svc.readAll(d, { expectedSize: 5 }))!.length, BLOB_C.length, 'a wrong expectedSize is only a hint')
    const b = await svc.put(BLOB_B)
    for (const n of [10, BLOB_B.length - 1, BLOB_B.length, BLOB_B.length + 1]) assert.equal((await svc.readAll(b, { expectedSize: n }))!.length, BLOB_B.length)
  })

  it('gives the same digest however the bytes are split, and put() agrees', async () => {
    const d1 = await writeInPieces(svc, BLOB_C, 4093)
    const d2 = await writeInPieces(svc, BLOB_C, 1_000_003)
    const d3 = await svc.put(BLOB_C)
    assert.ok(d1.equals(d2) && d2.equals(d3))
    const small = BLOB_C.subarray(0, 5000)
    assert.ok((await writeInPieces(svc, small, 1)).equals(await svc.put(small)))
  })

  it('reads any range like a slice (the seek cases of tvix put_seek)', async () => {
    for (const data of [BLOB_B, BLOB_C]) {
      const d = await svc.put(data)
      const r = (await svc.open(d))!
      const n = data.length
      const ranges: Array<[number, number]> = [[0, 10], [10, 20], [25, 35], [12370, 12380], [0, n], [n - 1, n], [n, n], [n, n + 10],
        [1, n - 1], [262_143, 262_145 + 1_000_000], [n + 5, n + 6]]
      for (const [s, e] of ranges) {
        const got = await readAll(r.read(s, e))
        assert.ok(Buffer.from(got).equals(Buffer.from(data.subarray(Math.min(s, n), Math.min(e, n)))), `range ${s}..${e}`)
      }
      await assert.rejects(readAll(r.read(5, 4)), RangeError)
    }
  })

  it('lists chunks whose sizes add up, and answers has()/open() for each chunk', async () => {
    const d = await svc.put(BLOB_C)
    const chunks = await svc.chunks(d)
    assert.ok(chunks)
    if (!opts.chunked) { assert.deepEqual(chunks, []); return }
    assert.ok(chunks.length > 1, 'a 3 MiB blob is chunked')
    assert.equal(chunks.reduce((a, c) => a + c.size, 0), BLOB_C.length)
    let off = 0
    for (const c of chunks) {
      assert.equal(await svc.has(c.digest), true)
      const r = (await svc.open(c.digest))!
      assert.ok(Buffer.from(await readAll(r.read())).equals(Buffer.from(BLOB_C.subarray(off, off + c.size))))
      off += c.size
    }
    assert.deepEqual(await svc.chunks(B3Digest.of(BLOB_A)), undefined)
    await svc.put(BLOB_A)
    assert.deepEqual(await svc.chunks(B3Digest.of(BLOB_A)), [])
  })

  it('shares chunks between blobs that differ by a small insertion', async () => {
    if (!opts.chunked) return
    const edited = Buffer.concat([BLOB_C.subarray(0, 1_500_000), Buffer.from('an insertion'), BLOB_C.subarray(1_500_000)])
    const a = (await svc.chunks(await svc.put(BLOB_C)))!
    const b = (await svc.chunks(await svc.put(edited)))!
    const inA = new Set(a.map(c => c.digest.hex))
    const fresh = b.filter(c => !inA.has(c.digest.hex)).reduce((s, c) => s + c.size, 0)
    assert.ok(fresh < 1024 * 1024 + 16, `only the chunks around the edit are new (${fresh} bytes)`)
  })

  it('abort() stores nothing under the digest; write after close is refused', async () => {
    const w = svc.openWrite()
    await w.write(BLOB_A)
    await w.abort()
    assert.equal(await svc.has(B3Digest.of(BLOB_A)), false)
    const w2 = svc.openWrite()
    await w2.write(BLOB_A)
    await w2.close()
    await assert.rejects(w2.write(BLOB_A), CastoreError)
  })

  it('storing the same blob twice is harmless', async () => {
    const d1 = await svc.put(BLOB_C)
    const d2 = await writeInPieces(svc, BLOB_C, 300_000)
    assert.ok(d1.equals(d2))
    const r = (await svc.open(d1))!
    assert.equal((await readAll(r.read())).length, BLOB_C.length)
  })
}
