import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NixHash } from '../store-path/index.js'
import { spoolFlatDump } from './flat-dump.js'
import { narOfFile } from './nar-util.js'

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of src) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

async function* pieces(b: Uint8Array, n: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < b.length; o += n) yield b.subarray(o, o + n)
}

describe('spoolFlatDump (flat and text AddToStore bodies)', () => {
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-flat-dump-')) })
  after(() => rmSync(dir, { recursive: true, force: true }))

  for (const size of [0, 1, 7, 8, 9, 1000, 70_000]) {
    for (const limit of [1 << 20, 16]) {
      it(`gives the NAR encodeNarTree gives, and the body's hash (${size} bytes, ${limit > size ? 'in memory' : 'spooled to a file'})`, async () => {
        const body = new Uint8Array(size).map((_, i) => (i * 31) & 0xff)
        const s = await spoolFlatDump(pieces(body, 4096), 'sha1', { spillDir: dir, memoryLimit: limit })
        assert.equal(s.size, size)
        assert.ok(s.hash.equals(NixHash.of('sha1', body)))
        assert.deepEqual(await collect(s.nar()), Buffer.from(narOfFile(body, false)))
        await s.dispose()
        assert.deepEqual(readdirSync(dir), [], 'the temporary file is gone')
      })
    }
  }

  it('removes its temporary file when the dump fails half-way', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> { yield new Uint8Array(100); throw new Error('client went away') }
    await assert.rejects(spoolFlatDump(failing(), 'sha256', { spillDir: dir, memoryLimit: 10 }), /client went away/)
    assert.deepEqual(readdirSync(dir), [])
    assert.ok(existsSync(dir))
  })
})
