/**
 * Dump, hash and restore with the helper thread (fs-helper.ts) against the same operations
 * without it and against NARs encoded from the hand-written tree. `helper: 'always'` makes
 * the jobs use the helper from their first file; small chunk sizes push files through the
 * "big file" paths (ranges, hand-off) with little data.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  collectBytes, concatBytes, dumpPath, dumpPathSync, encodeNarTree, hashPath, narDirectory, narFile, NarDumpError, type NarEntry,
  type NarNode, narSymlink, NarTruncatedError, restorePath,
} from './index.js'
import { skipBecause } from '../../test/support/env.js'

const enc = new TextEncoder()

/** Deterministic bytes (a hash chain), so contents differ between files. */
function data(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n)
  let block = createHash('sha256').update(String(seed)).digest()
  for (let o = 0; o < n; o += 32) {
    out.set(block.subarray(0, Math.min(32, n - o)), o)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

/**
 * The tree: sizes around padding and chunk boundaries, big files, empty files, executables,
 * symlinks, nesting, a name that is not UTF-8, and enough small files to pass the helper's
 * batching.
 */
function sampleTree(): NarNode {
  const many: Record<string, NarNode> = {}
  for (let i = 0; i < 300; i++) many[`f${i}`] = narFile(data(i, (i * 37) % 2000), i % 7 === 0)
  const odd: NarEntry = { name: new Uint8Array([0x66, 0xff, 0xfe, 0x20]), node: narFile('not utf-8') }
  return narDirectory([
    { name: enc.encode('a-big'), node: narFile(data(1, 3 * 65536 + 5)) },
    { name: enc.encode('b-bigger'), node: narFile(data(2, 1024 * 1024 + 3), true) },
    { name: enc.encode('empty'), node: narFile('') },
    { name: enc.encode('link'), node: narSymlink('../somewhere/else') },
    { name: enc.encode('many'), node: narDirectory(many) },
    { name: enc.encode('nested'), node: narDirectory({ d: narDirectory({ e: narDirectory({ seven: narFile('1234567'), eight: narFile('12345678', true) }) }), z: narDirectory() }) },
    odd,
    { name: enc.encode('sizes'), node: narDirectory(Object.fromEntries([1, 7, 8, 9, 8191, 8192, 8193, 65535, 65536, 65537].map(n => [`s${n}`, narFile(data(n, n))]))) },
  ])
}

function writeTree(path: Buffer, node: NarNode): void {
  switch (node.kind) {
    case 'regular':
      writeFileSync(path, node.contents)
      if (node.executable) chmodSync(path, 0o755)
      return
    case 'symlink':
      symlinkSync(Buffer.from(node.target), path)
      return
    case 'directory':
      mkdirSync(path)
      for (const e of node.entries) writeTree(Buffer.concat([path, Buffer.from('/'), e.name]), e.node)
  }
}

/** Type, permission bits and contents of every path below `root`. */
function snapshot(root: string): string[] {
  const out: string[] = []
  const walk = (p: Buffer, rel: string): void => {
    const st = lstatSync(p)
    if (st.isDirectory()) {
      out.push(`${rel} d`)
      for (const n of readdirSync(p, { encoding: 'buffer' })) walk(Buffer.concat([p, Buffer.from('/'), n]), `${rel}/${n.toString('hex')}`)
    } else if (st.isSymbolicLink()) {
      out.push(`${rel} l ${readlinkSync(p, { encoding: 'buffer' }).toString('hex')}`)
    } else {
      out.push(`${rel} f ${(st.mode & 0o100) !== 0} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`)
    }
  }
  walk(Buffer.from(root), '.')
  return out.sort()
}

async function* chunked(b: Uint8Array, n: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < b.length; o += n) yield b.subarray(o, o + n)
}

describe('NAR and the filesystem, with the helper thread', function () {
  this.timeout(60_000)
  let tmp: string
  let tree: string
  let nar: Uint8Array
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-helper-'))
    tree = join(tmp, 'tree')
    const t = sampleTree()
    writeTree(Buffer.from(tree), t)
    nar = encodeNarTree(t)
  })
  after(() => rmSync(tmp, { recursive: true, force: true }))

  const variants = [
    { name: 'default sizes', opts: {} },
    { name: 'small chunks (big-file paths)', opts: { chunkSize: 8192, readSize: 65536 } },
  ]
  for (const v of variants) {
    it(`dumps the bytes of the hand-written tree, in every mode (${v.name})`, async () => {
      for (const helper of ['always', 'never', 'auto'] as const) {
        for (const sync of [false, true]) {
          assert.deepEqual(await collectBytes(dumpPath(tree, { ...v.opts, helper, sync })), nar, `helper ${helper}, sync ${sync}`)
          const pieces: Uint8Array[] = []
          for await (const c of dumpPath(tree, { ...v.opts, helper, sync, recycle: true })) pieces.push(new Uint8Array(c))
          assert.deepEqual(concatBytes(pieces), nar, `recycle, helper ${helper}, sync ${sync}`)
        }
        const pieces: Uint8Array[] = []
        const size = dumpPathSync(tree, p => pieces.push(new Uint8Array(p)), { ...v.opts, helper })
        assert.equal(size, nar.length)
        assert.deepEqual(concatBytes(pieces), nar, `dumpPathSync, helper ${helper}`)
      }
    })

    it(`hashes as the NAR hashes (${v.name})`, async () => {
      const want = createHash('sha256').update(nar).digest('hex')
      for (const helper of ['always', 'never'] as const) {
        const h = await hashPath(tree, 'sha256', { ...v.opts, helper })
        assert.equal(h.hash.toBase16(), want)
        assert.equal(h.narSize, nar.length)
      }
    })
  }

  it('gives a second job that runs at the same time no helper, and both are right', async () => {
    const a = dumpPath(tree, { helper: 'always' })
    const b = dumpPath(tree, { helper: 'always' })
    const pa: Uint8Array[] = []
    const pb: Uint8Array[] = []
    for (let ra = await a.next(), rb = await b.next(); !ra.done || !rb.done;) {
      if (!ra.done) { pa.push(ra.value); ra = await a.next() }
      if (!rb.done) { pb.push(rb.value); rb = await b.next() }
    }
    assert.deepEqual(concatBytes(pa), nar)
    assert.deepEqual(concatBytes(pb), nar)
  })

  it('frees the helper when a consumer stops early', async () => {
    for (let i = 0; i < 3; i++) {
      let n = 0
      for await (const c of dumpPath(tree, { helper: 'always', chunkSize: 8192 })) { void c; if (++n === 5) break }
    }
    assert.deepEqual(await collectBytes(dumpPath(tree, { helper: 'always' })), nar)
  })

  it('stops on an abort signal with the helper at work, and frees it', async () => {
    const ac = new AbortController()
    let n = 0
    await assert.rejects((async () => {
      for await (const c of dumpPath(tree, { helper: 'always', chunkSize: 8192, readSize: 65536, signal: ac.signal })) {
        void c
        if (++n === 20) ac.abort()
      }
    })(), (e: unknown) => (e as Error).name === 'AbortError')
    assert.deepEqual(await collectBytes(dumpPath(tree, { helper: 'always' })), nar)
  })

  it('reports a file that reads shorter than its size as C++ does, also from the helper', async function () {
    // sysfs files claim 4096 bytes and hold fewer: a file that "changed while it was being read".
    const dir = '/sys/kernel/mm/transparent_hugepage'
    if (!existsSync(dir)) return skipBecause(this, `${dir} is not there`)
    for (const helper of ['never', 'always'] as const) {
      await assert.rejects(collectBytes(dumpPath(dir, { helper })),
        (e: unknown) => e instanceof NarDumpError && /changed while it was being read \(shorter than expected\)/.test(e.message), helper)
    }
    assert.deepEqual(await collectBytes(dumpPath(tree, { helper: 'always' })), nar)
  })

  for (const sync of [false, true]) {
    it(`restores the tree with the helper writing files (sync ${sync})`, async () => {
      for (const [i, chunk] of [nar.length, 65536, 1000].entries()) {
        const out = join(tmp, `restored-${sync}-${i}`)
        const r = await restorePath(out, chunked(nar, chunk), { helper: 'always', sync, hash: 'sha256' })
        assert.equal(r.narSize, nar.length)
        assert.deepEqual(snapshot(out), snapshot(tree), `chunks of ${chunk}`)
        assert.deepEqual(await collectBytes(dumpPath(out, { helper: 'never' })), nar)
      }
    })
  }

  it('stops the helper on a NAR that breaks off, and restores fine afterwards', async () => {
    const out = join(tmp, 'broken')
    await assert.rejects(restorePath(out, chunked(nar.subarray(0, nar.length - 100), 4096), { helper: 'always' }), NarTruncatedError)
    assert.ok(existsSync(out)) // the partial tree stays, as in C++
    const again = join(tmp, 'again')
    await restorePath(again, chunked(nar, 65536), { helper: 'always' })
    assert.deepEqual(snapshot(again), snapshot(tree))
  })
})
