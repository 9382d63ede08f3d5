import assert from 'node:assert/strict'
import { encodeNarTree, narFile } from '../nar/index.js'
import { ExportChunks } from './export-chunks.js'

describe('ExportChunks (an export stream gathered into chunks)', () => {
  it('hands out the bytes in order, whatever fits in a chunk', () => {
    // Chunks of 64 bytes: pieces that fit, that straddle a chunk's end, and larger than a chunk.
    for (const sizes of [[1, 2, 3], [60, 10, 60], [100, 1, 200, 64, 0, 63]]) {
      const out = new ExportChunks(64)
      const want: number[] = []
      const got: Uint8Array[] = []
      sizes.forEach((n, i) => {
        out.marker(i % 2 === 0)
        want.push(i % 2 === 0 ? 1 : 0, 0, 0, 0, 0, 0, 0, 0)
        const contents = new Uint8Array(n).fill(i + 1)
        const nar = out.narFile(i % 3 === 1, contents)
        const narWant = encodeNarTree(narFile(contents, i % 3 === 1))
        assert.deepEqual([...nar], [...narWant], 'the view returned is the NAR')
        want.push(...narWant)
        out.bytes(new Uint8Array(n).fill(100 + i))
        want.push(...new Uint8Array(n).fill(100 + i))
        got.push(...out.take())
      })
      got.push(...out.flush())
      assert.deepEqual([...Buffer.concat(got)], want, `sizes ${sizes}`)
      assert.ok(got.every(c => c.length > 0), 'no empty chunks')
      assert.deepEqual(out.flush(), [])
    }
  })
})
