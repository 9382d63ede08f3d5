import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readAll } from './blob-service.conformance.js'
import { ChunkedBlobService } from './blob-service.js'
import { ObjectDirectoryService } from './directory-service.js'
import { B3Digest } from './digest.js'
import { pseudoRandomBytes } from './fixtures.js'
import { FsBlobService } from './fs-blob-service.js'
import { FsDirectoryService } from './fs-directory-service.js'
import { FsObjectStore } from './fs-object-store.js'
import { ingestPath, materialise, removeTree } from './fs.js'
import { collectGarbage } from './gc.js'
import { MemoryObjectStore } from './memory-object-store.js'
import type { Node } from './node.js'

const SMALL = { min: 4096, avg: 16384, max: 65536 }

/** Read every file of a tree through the castore (proves nothing it needs was collected). */
async function readTree(n: Node, blobs: ChunkedBlobService, dirs: ObjectDirectoryService): Promise<number> {
  if (n.kind === 'symlink') return 0
  if (n.kind === 'file') return (await readAll((await blobs.open(n.digest))!.read())).length
  let total = 0
  for await (const d of dirs.getRecursive(n.digest)) for (const f of d.files) total += (await readAll((await blobs.open(f.node.digest))!.read())).length
  return total
}

describe('castore GC', () => {
  let tmp: string
  beforeEach(async () => { tmp = await mkdtemp(join(tmpdir(), 'tsnix-castore-gc-')) })
  afterEach(async () => { await removeTree(tmp) })

  async function twoTrees(): Promise<{ keep: string; drop: string }> {
    const keep = join(tmp, 'keep'), drop = join(tmp, 'drop')
    for (const d of [keep, drop]) { await mkdir(join(d, 'sub'), { recursive: true }); await writeFile(join(d, 'shared'), 'in both trees') }
    await writeFile(join(keep, 'sub', 'k'), 'only kept')
    await writeFile(join(keep, 'big'), pseudoRandomBytes(300_000, 1))
    await writeFile(join(drop, 'sub', 'd'), 'only dropped')
    // Shares its first chunks with keep/big, then differs.
    await writeFile(join(drop, 'big'), Buffer.concat([pseudoRandomBytes(300_000, 1).subarray(0, 200_000), pseudoRandomBytes(200_000, 2)]))
    return { keep, drop }
  }

  it('deletes what no root reaches and keeps the rest intact (memory, fake clock)', async () => {
    const store = new MemoryObjectStore()
    store.now = () => 1000
    const blobs = new ChunkedBlobService(store, { chunking: SMALL, wholeMax: 65536 }), dirs = new ObjectDirectoryService(store)
    const { keep, drop } = await twoTrees()
    const kept = await ingestPath(keep, blobs, dirs)
    const dropped = await ingestPath(drop, blobs, dirs)
    const dry = await collectGarbage(store, [kept], { cutoff: 2000, dryRun: true })
    assert.ok(dry.deleted.dir >= 2 && dry.deleted.blob >= 2 && dry.deleted.index === 1, JSON.stringify(dry))
    assert.ok(await readTree(dropped, blobs, dirs) > 0, 'a dry run deletes nothing')
    const r = await collectGarbage(store, [kept], { cutoff: 2000 })
    assert.deepEqual(r.deleted, dry.deleted)
    assert.deepEqual(r.missing, [])
    assert.equal(await readTree(kept, blobs, dirs), 'in both trees'.length + 'only kept'.length + 300_000)
    assert.equal(dropped.kind === 'directory' && await dirs.get(dropped.digest), undefined)
    // Everything left is reachable: a second run deletes nothing.
    const again = await collectGarbage(store, [kept], { cutoff: 2000 })
    assert.deepEqual(again.deleted, { blob: 0, index: 0, dir: 0 })
  })

  it('keeps unreachable objects younger than the cutoff, including ones a writer deduplicated against', async () => {
    const store = new MemoryObjectStore()
    let clock = 1000
    store.now = () => clock
    const blobs = new ChunkedBlobService(store)
    const old = await blobs.put(new TextEncoder().encode('old'))
    const touched = await blobs.put(new TextEncoder().encode('touched'))
    clock = 3000
    await blobs.put(new TextEncoder().encode('touched')) // dedup hit: refreshes the stamp
    const young = await blobs.put(new TextEncoder().encode('young'))
    const r = await collectGarbage(store, [], { cutoff: 2000 })
    assert.equal(r.deleted.blob, 1)
    assert.equal(r.young, 2)
    assert.equal(await blobs.has(old), false)
    assert.equal(await blobs.has(touched), true)
    assert.equal(await blobs.has(young), true)
  })

  it('never deletes objects written while it runs', async () => {
    const store = new MemoryObjectStore()
    const blobs = new ChunkedBlobService(store)
    store.now = () => 0
    for (let i = 0; i < 2000; i++) await blobs.put(new TextEncoder().encode(`garbage ${i}`))
    store.now = Date.now
    const writes: B3Digest[] = []
    const writer = (async () => {
      for (let i = 0; i < 2000; i++) {
        // Half are new objects, half deduplicate against garbage the GC is sweeping.
        writes.push(await blobs.put(new TextEncoder().encode(i % 2 ? `garbage ${i}` : `new ${i}`)))
        if (i % 50 === 0) await new Promise(r => setImmediate(r))
      }
    })()
    const r = await collectGarbage(store, [], { graceMs: 0, cutoff: Date.now() - 1 })
    await writer
    for (const d of writes) assert.equal(await blobs.has(d), true, `${d.hex} written during GC survives`)
    assert.ok(r.deleted.blob > 0)
  })

  it('on disk: sweeps by ctime, keeps hard-linked blobs usable, cleans unused executable links', async () => {
    const store = await FsObjectStore.open(join(tmp, 'castore'))
    const blobs = await FsBlobService.open(store, { chunking: SMALL, wholeMax: 65536 }), dirs = await FsDirectoryService.open(store)
    const { keep, drop } = await twoTrees()
    await writeFile(join(drop, 'tool'), 'an executable'); await chmod(join(drop, 'tool'), 0o755)
    const kept = await ingestPath(keep, blobs, dirs)
    const dropped = await ingestPath(drop, blobs, dirs)
    const xdir = join(tmp, 'xlinks')
    await materialise(dropped, join(tmp, 'view'), blobs, dirs, { hardLinks: true, linkDir: xdir, fsync: false })
    // Nothing is older than a cutoff in the past: all kept.
    const none = await collectGarbage(store, [kept], { graceMs: 60_000 })
    assert.deepEqual(none.deleted, { blob: 0, index: 0, dir: 0 })
    assert.ok(none.young > 0)
    const r = await collectGarbage(store, [kept], { cutoff: Date.now() + 60_000 })
    assert.ok(r.deleted.dir >= 2 && r.deleted.blob >= 2, JSON.stringify(r))
    assert.equal(await readTree(kept, blobs, dirs), 'in both trees'.length + 'only kept'.length + 300_000)
    const { readFile } = await import('node:fs/promises')
    assert.equal(await readFile(join(tmp, 'view', 'sub', 'd'), 'utf8'), 'only dropped', 'the materialised view keeps its own links')
    const linkFiles = async (): Promise<number> => { let n = 0; for (const s of await readdir(xdir)) n += (await readdir(join(xdir, s))).length; return n }
    assert.equal(await linkFiles(), 2, 'the view still links the executable and the chunked file')
    await removeTree(join(tmp, 'view'))
    await collectGarbage(store, [kept], { cutoff: Date.now() + 60_000, linkDir: xdir })
    assert.equal(await linkFiles(), 0)
  })

  it('reports objects a root refers to that are missing', async () => {
    const store = new MemoryObjectStore()
    const ghost = B3Digest.of(new TextEncoder().encode('ghost'))
    const r = await collectGarbage(store, [{ kind: 'file', digest: ghost, size: 5n, executable: false }, { kind: 'directory', digest: ghost, size: 0n }])
    assert.deepEqual(r.missing.sort(), [`blob ${ghost.hex}`, `directory ${ghost.hex}`])
  })
})
