import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Chunker, chunkLengths, type ChunkingParams } from './chunker.js'
import { pseudoRandomBytes } from './fixtures.js'

const P: ChunkingParams = { min: 2048, avg: 8192, max: 32768 }
const DATA = pseudoRandomBytes(1024 * 1024, 11)

describe('FastCDC chunker', () => {
  it('keeps every chunk within [min, max] except the last, and covers the input', () => {
    const lens = chunkLengths(DATA, P)
    assert.equal(lens.reduce((a, b) => a + b, 0), DATA.length)
    for (const l of lens.slice(0, -1)) assert.ok(l >= P.min && l <= P.max, `chunk of ${l}`)
    const avg = DATA.length / lens.length
    assert.ok(avg > P.avg / 2 && avg < P.avg * 2, `average ${avg} near ${P.avg}`)
  })

  it('cuts at the same places however the input arrives', () => {
    const want = chunkLengths(DATA.subarray(0, 200_000), P)
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 30 }), (pieces) => {
      const data = DATA.subarray(0, 200_000)
      const c = new Chunker(P)
      const got: number[] = []
      let chunkStart = 0, off = 0, i = 0
      while (off < data.length) {
        const piece = data.subarray(off, Math.min(data.length, off + pieces[i++ % pieces.length]!))
        let from = 0
        for (;;) {
          const end = c.next(piece, from)
          if (end < 0) break
          got.push(off + end - chunkStart); chunkStart = off + end; from = end
        }
        off += piece.length
      }
      if (chunkStart < data.length) got.push(data.length - chunkStart)
      assert.deepEqual(got, want)
    }), { numRuns: 50 })
  })

  it('an insertion moves only the boundaries near it', () => {
    const edited = Buffer.concat([DATA.subarray(0, 500_000), Buffer.from('inserted text'), DATA.subarray(500_000)])
    const ends = (lens: number[], shift: number, after: number): Set<number> => {
      const s = new Set<number>(); let o = 0
      for (const l of lens) { o += l; s.add(o > after ? o - shift : o) }
      return s
    }
    const a = ends(chunkLengths(DATA, P), 0, Infinity)
    const b = ends(chunkLengths(edited, P), 13, 500_000)
    const shared = [...b].filter(x => a.has(x)).length
    assert.ok(shared >= b.size - 3, `${shared} of ${b.size} boundaries survive`)
  })

  it('rejects impossible parameters', () => {
    assert.throws(() => new Chunker({ min: 10, avg: 8, max: 100 }), RangeError)
    assert.throws(() => new Chunker({ min: 1024, avg: 3000, max: 8192 }), RangeError)
  })
})
