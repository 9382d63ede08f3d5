import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import {
  CorruptObjectError, Directory, EMPTY_DIGEST, MemoryBlobService, MemoryDirectoryService, fileNode, nodesEqual, symlinkNode,
  type Node,
} from '../castore/index.js'
import { BLOB_B, DIRECTORY_COMPLICATED, DIRECTORY_WITH_KEEP, HELLOWORLD_BLOB, pseudoRandomBytes } from '../castore/fixtures.js'
import { BadArchiveError, collectBytes, dumpPath, encodeNarTree, narDirectory, narFile, narSymlink, type NarEntry, type NarNode } from '../nar/index.js'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsBlobService, FsObjectStore } from '../castore/index.js'
import { ByteSource } from '../wire/index.js'
import { ingestNar, renderNar, stageNar } from './nar-castore.js'

async function* once(b: Uint8Array, piece = b.length): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += piece) yield b.subarray(i, i + piece)
  if (b.length === 0) yield b
}
const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

let bigFiles = 0

/** Seeded random NAR trees held in memory. */
function randomNarTree(seed: number): NarNode {
  let s = seed * 2654435761 >>> 0 || 1
  const rnd = (n: number): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n }
  const file = (): NarNode => {
    const r = rnd(20)
    // A few files above 1 MiB (stored in chunks, streamed), most small.
    const size = r === 0 ? 0 : r === 1 && seed % 20 === 0 ? 2 * 1024 * 1024 + rnd(100_000) : r < 3 ? rnd(300_000) : rnd(3000)
    if (size > 1024 * 1024) bigFiles++
    return narFile(pseudoRandomBytes(size, seed * 31 + r), rnd(3) === 0)
  }
  const node = (depth: number): NarNode => {
    const r = rnd(10)
    if (depth > 0 && r < 5) return file()
    if (depth > 0 && r < 7) return narSymlink(['a', '/nix/store/x', '../..', 'y'.repeat(1 + rnd(500))][rnd(4)]!)
    if (depth > 3) return narDirectory()
    const entries: NarEntry[] = []
    const seen = new Set<string>()
    for (let i = rnd(7); i > 0; i--) {
      const name = ['a', 'b', 'lib', 'bin', '.keep', 'é', 'x'.repeat(255), 'Z', '-', String(rnd(1000))][rnd(10)]!
      if (seen.has(name)) continue
      seen.add(name)
      entries.push({ name: new TextEncoder().encode(name), node: node(depth + 1) })
    }
    return narDirectory(entries)
  }
  const top = seed % 10
  return top === 7 ? file() : top === 8 ? narSymlink('/nix/store/somewhereelse') : node(0)
}

describe('NAR ⇄ castore', () => {
  it('renders the tvix fixtures to the NARs C++ Nix dumps, and ingests them back', async () => {
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const hello = await blobs.put(HELLOWORLD_BLOB)
    await blobs.put(new Uint8Array(0))
    await dirs.put(DIRECTORY_WITH_KEEP); await dirs.put(DIRECTORY_COMPLICATED)
    // NAR sizes and sha256 from store.md §1.5: the same from tvix's NAR_CONTENTS_* fixture
    // bytes and from C++ Nix 2.8 `nix-store --dump` of the trees materialised on disk.
    const vectors: Array<[string, Node, number, string]> = [
      ['symlink → /nix/store/somewhereelse', symlinkNode('/nix/store/somewhereelse'), 136, '097d397e9b5826384eaa16c457715d1c1a51670313ead0f58566e0b232539cf1'],
      ['file "Hello World!"', fileNode(hello, 12), 128, '03e7f63be30b065d78bcf615f5473545fdb4eb69aa416f43495b4e05cdfb8040'],
      ['DIRECTORY_COMPLICATED', DIRECTORY_COMPLICATED.toNode(), 840, 'ebd52279a8df024c9fd5718de4103bf5e760dc7f2cf49044ee7dea87ab16911a'],
    ]
    for (const [what, node, size, sha] of vectors) {
      const nar = await collectBytes(renderNar(node, blobs, dirs))
      assert.equal(nar.length, size, what)
      assert.equal(sha256hex(nar), sha, what)
      const back = await ingestNar(once(nar, 7), new MemoryBlobService(), new MemoryDirectoryService())
      assert.ok(nodesEqual(back.root, node), `${what}: ingesting the NAR gives the same node`)
      assert.equal(back.narSize, size)
      assert.equal(Buffer.from(back.narSha256.digest).toString('hex'), sha)
    }
  })

  it('round-trips 200 random NARs byte for byte, computing size and sha256 in the same pass', async function () {
    this.timeout(120_000)
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    for (let seed = 1; seed <= 200; seed++) {
      const nar = encodeNarTree(randomNarTree(seed))
      const { root, narSize, narSha256 } = await ingestNar(once(nar, seed % 3 === 0 ? 4093 : nar.length), blobs, dirs)
      assert.equal(narSize, nar.length)
      assert.equal(Buffer.from(narSha256.digest).toString('hex'), sha256hex(nar))
      const out = await collectBytes(renderNar(root, blobs, dirs, { readAheadFiles: 1 + (seed % 5), chunkSize: 8192 * (1 + (seed % 4)) }))
      assert.ok(Buffer.from(out).equals(Buffer.from(nar)), `seed ${seed}: rendered NAR differs`)
    }
    assert.ok(bigFiles > 0, 'some files are large enough to be chunked')
  })

  it('refuses to render a blob shorter or longer than its node says', async () => {
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const hello = await blobs.put(HELLOWORLD_BLOB)
    const big = await blobs.put(BLOB_B)
    for (const n of [fileNode(hello, 11), fileNode(hello, 13), fileNode(big, BLOB_B.length + 1)]) {
      await assert.rejects(collectBytes(renderNar(n, blobs, dirs)), CorruptObjectError)
    }
    const missing = Directory.from([{ name: 'f', node: fileNode(EMPTY_DIGEST, 0) }])
    await dirs.put(missing)
    await assert.rejects(collectBytes(renderNar(missing.toNode(), new MemoryBlobService(), dirs)), /not found/)
  })

  it('rejects a malformed NAR', async () => {
    const nar = encodeNarTree(narDirectory({ a: narFile('x'), b: narSymlink('y') }))
    const bad = Buffer.from(nar); bad[bad.length - 9] = 0x41
    await assert.rejects(ingestNar(once(bad), new MemoryBlobService(), new MemoryDirectoryService()), BadArchiveError)
    await assert.rejects(ingestNar(once(nar.subarray(0, nar.length - 8)), new MemoryBlobService(), new MemoryDirectoryService()), BadArchiveError)
  })

  it('stages a small single-file NAR by synchronous calls as the streaming decoder would, and leaves anything else to it', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'tsnix-stage-'))
    try {
      const blobs = await FsBlobService.open(await FsObjectStore.open(join(tmp, 'castore'), { fsync: false }))
      const dirs = new MemoryDirectoryService()
      const cases = [
        narFile(''), narFile('x'), narFile('1234567\n'), narFile('exec', true), narFile(pseudoRandomBytes(70_000, 3)),
        narSymlink('/nix/store/x'), narDirectory({ a: narFile('x') }),
      ]
      for (const [i, tree] of cases.entries()) {
        const nar = encodeNarTree(tree)
        const streamed = await stageNar(once(nar), new MemoryBlobService(), new MemoryDirectoryService())
        // pieces of 5 bytes: the fast path gathers them first
        const fast = await stageNar(once(nar, 5), blobs, dirs, { syncPutMax: 64 * 1024 })
        assert.equal(Buffer.from(fast.narSha256.digest).toString('hex'), sha256hex(nar), `case ${i}`)
        assert.equal(fast.narSize, nar.length, `case ${i}`)
        assert.equal(Buffer.from(streamed.narSha256.digest).toString('hex'), sha256hex(nar), `case ${i}`)
        assert.ok(nodesEqual(await fast.root, await streamed.root), `case ${i}`)
        assert.deepEqual(await collectBytes(renderNar(await fast.root, blobs, dirs)), nar, `case ${i}`)
      }
      // Anything but an exact single-file NAR is the decoder's to judge: non-zero padding and a
      // truncated NAR are refused; bytes after the NAR's end are not read as part of it.
      const nar = encodeNarTree(narFile('abc'))
      const badPad = Buffer.from(nar); badPad[nar.length - 17] = 1
      for (const bad of [badPad, nar.subarray(0, nar.length - 8)]) {
        await assert.rejects(stageNar(once(bad), blobs, dirs, { syncPutMax: 64 * 1024 }), BadArchiveError)
      }
      const trailing = await stageNar(once(Buffer.concat([nar, new Uint8Array(8)])), blobs, dirs, { syncPutMax: 64 * 1024 })
      assert.equal(trailing.narSize, nar.length)
    } finally { await rm(tmp, { recursive: true, force: true }) }
  })

  it('takes a one-file NAR buffered whole in a ByteSource (an import stream) from the buffer, as the decoder would, leaving the source right after it', async () => {
    const blobs = new MemoryBlobService()
    const dirs = new MemoryDirectoryService()
    const cases = [
      narFile(''), narFile('x'), narFile('1234567\n'), narFile('exec', true), narFile(pseudoRandomBytes(70_000, 3)),
      narSymlink('/nix/store/x'), narDirectory({ a: narFile('x') }), narFile('abc'),
    ]
    const nars = cases.map(t => encodeNarTree(t))
    const marker = new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) // what a stream has between NARs
    const stream = Buffer.concat(nars.flatMap(n => [n, marker]))
    // whole in one piece (every NAR buffered), and in pieces of 100 bytes (some NARs not yet
    // buffered whole when staged: those are decoded)
    for (const piece of [stream.length, 100]) {
      const src = new ByteSource(once(stream, piece))
      for (const [i, nar] of nars.entries()) {
        const staged = await stageNar(src, blobs, dirs, { syncPutMax: 64 * 1024 })
        const streamed = await stageNar(once(nar), new MemoryBlobService(), new MemoryDirectoryService())
        assert.equal(Buffer.from(staged.narSha256.digest).toString('hex'), sha256hex(nar), `case ${i}, pieces of ${piece}`)
        assert.equal(staged.narSize, nar.length, `case ${i}`)
        assert.ok(nodesEqual(await staged.root, await streamed.root), `case ${i}`)
        assert.deepEqual(await collectBytes(renderNar(await staged.root, blobs, dirs)), nar, `case ${i}`)
        assert.equal(await src.u64(), 7n, `case ${i}: the source is right after the NAR`)
      }
    }
    // a bad padding is the decoder's to refuse, even when buffered whole
    const nar = encodeNarTree(narFile('abc'))
    const badPad = Buffer.from(nar); badPad[nar.length - 17] = 1
    await assert.rejects(stageNar(new ByteSource(once(Buffer.concat([badPad, marker]))), blobs, dirs, { syncPutMax: 64 * 1024 }), BadArchiveError)
  })

  it('takes a stable source (dumpPath) in place: the same NAR sha256, size and blob as a copied one, whole or chunked, fsync or not', async function () {
    this.timeout(60_000)
    const tmp = await mkdtemp(join(tmpdir(), 'tsnix-stage-stable-'))
    try {
      // Big enough for the thread-pool SHA-256 (past 4 MiB) and for in-place writes (1 MiB pieces).
      for (const tree of [narFile(pseudoRandomBytes(12 * 1024 * 1024 + 3, 8), true), narDirectory({ a: narFile(pseudoRandomBytes(6 * 1024 * 1024 + 1, 9)), b: narFile('x') })]) {
        const nar = encodeNarTree(tree)
        for (const [i, opts] of [{ fsync: false, chunking: false }, { fsync: true, chunking: false }, { fsync: false, chunking: undefined }].entries()) {
          const blobs = await FsBlobService.open(await FsObjectStore.open(join(tmp, `castore-${i}`), { fsync: opts.fsync }), opts.chunking === false ? { chunking: false } : {})
          const dirs = new MemoryDirectoryService()
          const stable = Object.assign(once(nar, 1024 * 1024 + 5), { stableChunks: true as const })
          const staged = await stageNar(stable, blobs, dirs, { syncPutMax: 64 * 1024 })
          assert.equal(Buffer.from(staged.narSha256.digest).toString('hex'), sha256hex(nar), `case ${i}`)
          assert.equal(staged.narSize, nar.length)
          const copied = await stageNar(once(nar, 1024 * 1024 + 5), new MemoryBlobService(), new MemoryDirectoryService())
          assert.ok(nodesEqual(await staged.root, await copied.root), `case ${i}`)
          assert.deepEqual(await collectBytes(renderNar(await staged.root, blobs, dirs)), nar, `case ${i}`)
        }
      }
    } finally { await rm(tmp, { recursive: true, force: true }) }
  })

  it('stages dumpPath of a big file (read ahead, buffers reused in its window) to the NAR sha256 and blob of the file', async function () {
    this.timeout(60_000)
    const tmp = await mkdtemp(join(tmpdir(), 'tsnix-stage-dump-'))
    try {
      const data = pseudoRandomBytes(48 * 1024 * 1024 + 11, 12) // longer than the reuse window (~17 MiB and 15 chunks)
      const f = join(tmp, 'big')
      await writeFile(f, data)
      const nar = encodeNarTree(narFile(data))
      for (const fsync of [false, true]) {
        const blobs = await FsBlobService.open(await FsObjectStore.open(join(tmp, `castore-${fsync}`), { fsync }), { chunking: false })
        const dirs = new MemoryDirectoryService()
        const staged = await stageNar(dumpPath(f), blobs, dirs, { syncPutMax: 64 * 1024 })
        assert.equal(Buffer.from(staged.narSha256.digest).toString('hex'), sha256hex(nar))
        assert.equal(staged.narSize, nar.length)
        assert.deepEqual(await collectBytes(renderNar(await staged.root, blobs, dirs)), nar)
      }
    } finally { await rm(tmp, { recursive: true, force: true }) }
  })

  it('stores a large file in chunks and shares them with an edited copy', async () => {
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const data = pseudoRandomBytes(4 * 1024 * 1024, 3)
    const a = await ingestNar(once(encodeNarTree(narFile(data))), blobs, dirs)
    const edited = Buffer.concat([data.subarray(0, 100_000), Buffer.from('!'), data.subarray(100_000)])
    const b = await ingestNar(once(encodeNarTree(narFile(edited))), blobs, dirs)
    assert.ok(a.root.kind === 'file' && b.root.kind === 'file')
    const ca = (await blobs.chunks(a.root.digest))!, cb = (await blobs.chunks(b.root.digest))!
    const shared = cb.filter(c => ca.some(x => x.digest.equals(c.digest))).length
    assert.ok(ca.length > 4 && shared >= cb.length - 2, `${shared} of ${cb.length} chunks shared`)
  })
})
