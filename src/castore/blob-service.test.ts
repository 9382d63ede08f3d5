import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blobServiceSuite, readAll } from './blob-service.conformance.js'
import { blake3 } from './blake3.js'
import { B3Digest } from './digest.js'
import { CorruptObjectError } from './errors.js'
import { pseudoRandomBytes } from './fixtures.js'
import { FsBlobService } from './fs-blob-service.js'
import { FsObjectStore } from './fs-object-store.js'
import { MemoryBlobService } from './memory-blob-service.js'

const SMALL_CHUNKS = { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }

describe('BlobService conformance', () => {
  let dirs: string[] = []
  const tmp = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'tsnix-blobs-')); dirs.push(d); return d }
  afterEach(async () => { await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true }))); dirs = [] })

  describe('memory', () => blobServiceSuite(async () => new MemoryBlobService(), { chunked: true }))
  describe('memory, whole blobs only', () => blobServiceSuite(async () => new MemoryBlobService({ chunking: false }), { chunked: false }))
  describe('memory, small chunks', () => blobServiceSuite(async () => new MemoryBlobService({ chunking: SMALL_CHUNKS }), { chunked: true }))
  describe('filesystem', () => blobServiceSuite(async () => FsBlobService.open(await tmp()), { chunked: true }))
  describe('filesystem, node:fs only (no native addon)', () => blobServiceSuite(async () => FsBlobService.open(await tmp(), { native: false }), { chunked: true }))
  describe('filesystem, whole blobs only', () => blobServiceSuite(async () => FsBlobService.open(await tmp(), { chunking: false }), { chunked: false }))
  describe('filesystem, brotli', () => blobServiceSuite(async () => FsBlobService.open(await tmp(), { compression: 'brotli' }), { chunked: true }))
})

describe('FsBlobService', () => {
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'tsnix-blobs-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('lays objects out as blobs/<2 hex>/<64 hex>, read-only, with a README and castore.json', async () => {
    const svc = await FsBlobService.open(root)
    const d = await svc.put(new TextEncoder().encode('Hello World!'))
    const p = join(root, 'blobs', d.hex.slice(0, 2), d.hex)
    assert.equal(await readFile(p, 'utf8'), 'Hello World!')
    assert.equal(await svc.localPath(d), p)
    assert.match(await readFile(join(root, 'README'), 'utf8'), /blobs\/<2 hex>\/<64 hex>/)
    assert.deepEqual(JSON.parse(await readFile(join(root, 'castore.json'), 'utf8')), { version: 1, compression: 'none' })
    const big = await svc.put(pseudoRandomBytes(2 * 1024 * 1024, 3))
    assert.ok((await readFile(join(root, 'index', big.hex.slice(0, 2), big.hex))).length > 0)
    assert.equal(await svc.localPath(big), undefined, 'a chunked blob has no single file')
  })

  it('refuses to reopen a store with a different compression', async () => {
    await FsBlobService.open(root, { compression: 'deflate' })
    await assert.rejects(FsBlobService.open(root, { compression: 'none' }), /created with compression 'deflate'/)
    await FsBlobService.open(root)
  })

  it('detects a corrupted whole blob and a corrupted chunk on read', async () => {
    const svc = await FsBlobService.open(root)
    const small = await svc.put(pseudoRandomBytes(1000, 5))
    const p = join(root, 'blobs', small.hex.slice(0, 2), small.hex)
    await chmod(p, 0o644); await writeFile(p, pseudoRandomBytes(1000, 6))
    await assert.rejects(readAll((await svc.open(small))!.read()), CorruptObjectError)

    const big = await svc.put(pseudoRandomBytes(3 * 1024 * 1024, 8))
    const [c] = (await svc.chunks(big))!
    const cp = join(root, 'blobs', c!.digest.hex.slice(0, 2), c!.digest.hex)
    const bad = Buffer.from(await readFile(cp)); bad[10]! ^= 1
    await chmod(cp, 0o644); await writeFile(cp, bad)
    await assert.rejects(readAll((await svc.open(big))!.read()), CorruptObjectError)
    await assert.rejects(readAll((await svc.open(big))!.read(5, 20)), CorruptObjectError)
  })

  for (const native of [true, false]) it(`putSync stores a small blob as put does, and declines big ones, compressed stores and a running sweep${native ? '' : ' (node:fs only)'}`, async () => {
    const store = await FsObjectStore.open(join(root, String(native)), { native })
    const svc = await FsBlobService.open(store)
    const data = new TextEncoder().encode('Derive([])')
    const d = svc.putSync(data)!
    assert.equal(d.hex, (await svc.put(data)).hex)
    assert.equal(await readFile(join(root, String(native), 'blobs', d.hex.slice(0, 2), d.hex), 'utf8'), 'Derive([])')
    assert.equal(svc.putSync(data)!.hex, d.hex, 'again: the object is only touched')
    assert.equal(svc.putSync(pseudoRandomBytes(2 * 1024 * 1024, 4)), undefined, 'above wholeMax: chunked, asynchronously')
    const sweep = store.sweep('blob', [], 0) // exclusive: from now until it settles
    assert.equal(svc.putSync(new TextEncoder().encode('later')), undefined, 'a sweep running: put instead')
    await sweep
    assert.ok(svc.putSync(new TextEncoder().encode('later')))
    const { readdir } = await import('node:fs/promises')
    assert.deepEqual(await readdir(join(root, String(native), 'tmp')), [])
    const br = await FsBlobService.open(await mkdtemp(join(tmpdir(), 'tsnix-blobs-br-')), { compression: 'brotli', native })
    assert.equal(br.putSync(data), undefined)
  })

  it('shares one object store between services and leaves no temp files', async () => {
    const store = await FsObjectStore.open(root)
    const a = await FsBlobService.open(store), b = await FsBlobService.open(store)
    const d = await a.put(pseudoRandomBytes(5 * 1024 * 1024, 9))
    assert.equal(await b.has(d), true)
    await a.sync()
    const { readdir } = await import('node:fs/promises')
    assert.deepEqual(await readdir(join(root, 'tmp')), [])
  })

  it('streams a large whole blob through staged writes; the caller may reuse its buffer at once', async function () {
    this.timeout(30_000)
    const svc = await FsBlobService.open(root, { chunking: false })
    const data = pseudoRandomBytes(11 * 1024 * 1024 + 777, 9)
    const w = svc.openWrite()
    const scratch = new Uint8Array(300_001)
    for (let off = 0; off < data.length; off += scratch.length) {
      const n = Math.min(scratch.length, data.length - off)
      scratch.set(data.subarray(off, off + n))
      await w.write(scratch.subarray(0, n))
      scratch.fill(0xee) // what a recycling producer does to its buffer next
    }
    const d = await w.close()
    assert.equal(d.hex, B3Digest.adopt(blake3(data)).hex)
    assert.deepEqual(await readFile(join(root, 'blobs', d.hex.slice(0, 2), d.hex)), Buffer.from(data))
  })
})
