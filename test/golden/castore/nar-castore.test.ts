/**
 * Differential test of the castore against C++ Nix 2.8 over seeded generated trees (the NAR
 * suite's generator, test/golden/nar/gen-tree.ts). One `nix-store --dump` of the directory
 * holding all trees gives a NAR that contains every tree's serialisation; so, with two C++
 * calls instead of hundreds:
 *
 *  - each tree's NAR is ingested into a filesystem castore and rendered back byte for byte;
 *  - a castore Directory naming all the tree roots renders to exactly C++'s NAR of the family,
 *    and ingesting C++'s NAR gives that Directory;
 *  - each tree ingested from disk has the same root node, and the trees materialised from the
 *    castore dump (with C++ Nix) to that same NAR again.
 *
 * TSNIX_CASTORE_TREES sets the number of trees (default 200).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Directory, FsBlobService, FsDirectoryService, FsObjectStore, ingestPath, materialise, nodesEqual, removeTree, type Node } from '../../../src/castore/index.js'
import { collectBytes, dumpPath } from '../../../src/nar/index.js'
import { ingestNar, renderNar } from '../../../src/store/nar-castore.js'
import { nix28, skipBecause } from '../../support/env.js'
import { type GenStats, writeTree } from '../nar/gen-tree.js'

const N = Number(process.env['TSNIX_CASTORE_TREES'] ?? 200)
const SEED = 3
/** A couple of trees carry files large enough to be chunked. */
const BIG: Record<number, number> = { 1: 3 * 1024 * 1024 + 5, 2: 1024 * 1024 + 1 }
const name = (i: number): string => `tree-${String(i).padStart(3, '0')}`

async function* pieces(b: Uint8Array, size = 65536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i} of ${a.length} / ${b.length}`
  return `lengths ${a.length} / ${b.length}`
}

describe('golden: castore NAR ingest/render and materialise vs C++ Nix 2.8', function () {
  this.timeout(600_000)
  let work: string, trees: string
  let paths: string[]
  let familyNar: Buffer
  let nix: NonNullable<ReturnType<typeof nix28>>
  const roots: Node[] = []
  let blobs: FsBlobService, dirs: FsDirectoryService

  before(async function () {
    const n = nix28()
    if (!n) skipBecause(this, 'C++ Nix 2.8 (nix-store) is not installed')
    nix = n
    work = mkdtempSync(join(tmpdir(), 'tsnix-castore-diff-'))
    trees = join(work, 'trees')
    mkdirSync(trees)
    const stats: GenStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    paths = []
    for (let i = 0; i < N; i++) {
      const p = join(trees, name(i))
      writeTree(Buffer.from(p), SEED, i, BIG[i], stats)
      paths.push(p)
    }
    familyNar = execFileSync(nix.nixStore, ['--dump', trees], { maxBuffer: 1 << 30 })
    const store = await FsObjectStore.open(join(work, 'castore'), { fsync: false })
    blobs = await FsBlobService.open(store); dirs = await FsDirectoryService.open(store)
  })
  after(async () => { if (work) await removeTree(work) })

  it(`ingests each tree's NAR and renders it back byte for byte (${N} trees)`, async () => {
    for (const p of paths) {
      const nar = await collectBytes(dumpPath(p))
      const { root, narSize } = await ingestNar(pieces(nar), blobs, dirs)
      assert.equal(narSize, nar.length)
      const out = await collectBytes(renderNar(root, blobs, dirs))
      assert.ok(Buffer.from(out).equals(Buffer.from(nar)), `${p}: ${firstDifference(out, nar)}`)
      roots.push(root)
    }
  })

  it('renders the family of roots to the NAR nix-store --dump wrote, and ingests that NAR to the same directory', async () => {
    assert.equal(roots.length, N)
    const family = Directory.from(roots.map((node, i) => ({ name: name(i), node })))
    await dirs.put(family)
    const out = await collectBytes(renderNar(family.toNode(), blobs, dirs))
    assert.ok(Buffer.from(out).equals(familyNar), firstDifference(out, familyNar))
    const back = await ingestNar(pieces(familyNar, 1 << 20), blobs, dirs)
    assert.ok(nodesEqual(back.root, family.toNode()))
  })

  it('ingests each tree from disk to the same root, and the materialised trees dump (C++) to the same NAR', async () => {
    const out = join(work, 'materialised')
    mkdirSync(out)
    for (const [i, p] of paths.entries()) {
      const root = await ingestPath(p, blobs, dirs)
      assert.ok(nodesEqual(root, roots[i]!), `${p}: root node from disk and from its NAR differ`)
      await materialise(root, join(out, name(i)), blobs, dirs, { fsync: false, hardLinks: i % 2 === 0, linkDir: join(work, 'links') })
    }
    const again = execFileSync(nix.nixStore, ['--dump', out], { maxBuffer: 1 << 30 })
    assert.ok(again.equals(familyNar), firstDifference(again, familyNar))
  })
})
