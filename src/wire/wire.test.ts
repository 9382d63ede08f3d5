import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ByteSource, encodeFramed, FramedDecoder, framedWhole, IncompleteError, WireLimitError, WirePaddingError, WireReader, WireWriter } from './index.js'

async function* chunksOf(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let prev = 0
  for (const c of [...cuts, bytes.length].sort((a, b) => a - b)) {
    if (c > prev) yield bytes.slice(prev, c)
    prev = Math.max(prev, c)
  }
}

describe('wire primitives', () => {
  it('encodes u64 little-endian and strings padded to 8 bytes', () => {
    // Bytes worked out by hand from worker-protocol.md §1: "2.34.8" = len 6 + 6 bytes + 2 zero.
    const w = new WireWriter().u64(0x6e697863n).string('2.34.8').string('')
    assert.deepEqual(
      Buffer.from(w.finish()).toString('hex'),
      '6378696e00000000' + '0600000000000000' + '322e33342e380000' + '0000000000000000',
    )
  })

  it('rejects non-zero padding and oversize lengths before reading them', () => {
    const bad = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0x41, 1, 0, 0, 0, 0, 0, 0])
    assert.throws(() => new WireReader(bad).string(), WirePaddingError)
    const huge = new WireWriter().u64(1n << 40n).finish()
    assert.throws(() => new WireReader(huge).bytes({ max: 100 }), WireLimitError)
    const long = new WireWriter().u64(101).finish()
    assert.throws(() => new WireReader(long).bytes({ max: 100 }), WireLimitError)
  })

  it('reports how many bytes a truncated value needs', () => {
    const b = new WireWriter().string('hello world').finish()
    const e = (() => { try { new WireReader(b.subarray(0, 10)).string(); return undefined } catch (x) { return x } })()
    assert.ok(e instanceof IncompleteError)
    assert.equal(e.needed, 24)
  })

  it('round-trips u64, bool and string lists (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), fc.array(fc.string()), (n, b, list) => {
      const bytes = new WireWriter().u64(n).bool(b).strings(list).finish()
      const r = new WireReader(bytes)
      assert.equal(r.u64(), n)
      assert.equal(r.bool(), b)
      assert.deepEqual(r.strings(), list)
      assert.ok(r.atEnd)
    }))
  })

  it('decodes the same values from a ByteSource under any chunking (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.string(), { maxLength: 20 }), fc.array(fc.nat(400)), async (list, cuts) => {
      const bytes = new WireWriter().strings(list).u64(7).finish()
      const src = new ByteSource(chunksOf(bytes, cuts))
      assert.deepEqual(await src.decode(r => r.strings()), list)
      assert.equal(await src.u64(), 7n)
      assert.equal(await src.hasMore(), false)
    }))
  })

  it('frames and unframes any payload under any chunking (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 1000 }), fc.array(fc.nat(4000)), (payload, frameSize, cuts) => {
      const framed = encodeFramed(payload, frameSize)
      const trailer = new Uint8Array([9, 9, 9])
      const all = new Uint8Array(framed.length + 3)
      all.set(framed); all.set(trailer, framed.length)
      const dec = new FramedDecoder()
      const got: number[] = []
      let rest: Uint8Array | undefined
      let prev = 0
      for (const c of [...cuts.filter(c => c < all.length), all.length].sort((a, b) => a - b)) {
        const r = dec.push(all.subarray(prev, c))
        prev = c
        for (const d of r.data) got.push(...d)
        if (r.rest) rest = rest ? new Uint8Array([...rest, ...r.rest]) : r.rest
      }
      assert.ok(dec.done)
      assert.deepEqual(Uint8Array.from(got), payload)
      assert.deepEqual(rest && Array.from(rest), [9, 9, 9])
    }))
  })

  it('takes a framed payload whole only when every byte up to the terminator is there (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 200 }), (payload, frameSize) => {
      const framed = encodeFramed(payload, frameSize)
      const all = new Uint8Array(framed.length + 2)
      all.set(framed); all.set([7, 7], framed.length)
      for (let cut = 0; cut < framed.length; cut++) assert.equal(framedWhole(all.subarray(0, cut), Infinity), undefined)
      const w = framedWhole(all, Infinity)
      assert.ok(w)
      assert.equal(w.used, framed.length)
      assert.deepEqual(Uint8Array.from(w.data.flatMap(d => [...d])), payload)
      // over the size bound: left to the incremental reader
      if (payload.length > 0) assert.equal(framedWhole(all, payload.length - 1), undefined)
    }))
  })

  it('leaves an oversized or 64-bit frame length to the incremental reader', () => {
    const big = new Uint8Array(16)
    new DataView(big.buffer).setUint32(0, 100, true)
    assert.equal(framedWhole(big, Infinity, 99), undefined)
    const wide = new Uint8Array(16)
    new DataView(wide.buffer).setUint32(4, 1, true)
    assert.equal(framedWhole(wide, Infinity), undefined)
  })
})
