import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { which } from '../../test/support/env.js'
import { CastoreError, UnsupportedFileTypeError } from './errors.js'
import { pseudoRandomBytes } from './fixtures.js'
import { FsBlobService } from './fs-blob-service.js'
import { FsDirectoryService } from './fs-directory-service.js'
import { FsObjectStore } from './fs-object-store.js'
import { ingestPath, linkFileSync, materialise, removeTree } from './fs.js'
import { DestinationExistsError } from './errors.js'
import { fileNode } from './node.js'
import { MemoryBlobService } from './memory-blob-service.js'
import { MemoryDirectoryService } from './memory-directory-service.js'
import { nodesEqual } from './node.js'
import { Rng, writeRandomTree } from './test-trees.js'

/** Everything about a tree that materialisation must reproduce, plus its metadata. */
async function describeTree(p: Buffer): Promise<unknown> {
  const st = await lstat(p)
  const meta = { mode: (st.mode & 0o7777).toString(8), mtime: st.mtimeMs }
  if (st.isSymbolicLink()) return { link: (await readlink(p, { encoding: 'buffer' })).toString('hex'), mtime: st.mtimeMs }
  if (st.isFile()) return { ...meta, data: (await readFile(p)).toString('base64') }
  const out: Record<string, unknown> = { ...meta }
  for (const n of (await readdir(p, { encoding: 'buffer' })).sort(Buffer.compare)) out[n.toString('hex')] = await describeTree(Buffer.concat([p, Buffer.from('/'), n]))
  return out
}

describe('castore fs: ingest and materialise', () => {
  let tmp: string
  beforeEach(async () => { tmp = await mkdtemp(join(tmpdir(), 'tsnix-castore-fs-')) })
  afterEach(async () => { await removeTree(tmp) })

  it('linkFileSync links a plain file to its blob with Nix metadata, and declines what materialise must handle', async () => {
    const blobs = await FsBlobService.open(await FsObjectStore.open(join(tmp, 'castore'), { fsync: false }))
    const data = new TextEncoder().encode('linked\n')
    const d = await blobs.put(data)
    const dest = join(tmp, 'out')
    assert.equal(linkFileSync(fileNode(d, data.length, false), dest, blobs), true)
    const st = await stat(dest)
    assert.equal(await readFile(dest, 'utf8'), 'linked\n')
    assert.equal(st.mode & 0o7777, 0o444)
    assert.equal(st.mtimeMs, 1000)
    assert.equal(st.nlink, 2, 'a hard link to the blob')
    assert.throws(() => linkFileSync(fileNode(d, data.length, false), dest, blobs), DestinationExistsError)
    // executables (their own inode in linkDir), blobs castore does not have whole, or in memory: materialise's
    assert.equal(linkFileSync(fileNode(d, data.length, true), join(tmp, 'x'), blobs), false)
    assert.equal(linkFileSync(fileNode(await new MemoryBlobService().put(data), data.length, false), join(tmp, 'm'), new MemoryBlobService()), false)
    const missing = fileNode(await new MemoryBlobService().put(new TextEncoder().encode('absent')), 6, false)
    assert.equal(linkFileSync(missing, join(tmp, 'absent'), blobs), false)
    assert.deepEqual((await readdir(tmp)).sort(), ['castore', 'out'])
  })

  it('ingests DIRECTORY_COMPLICATED to the digest tvix computes (424a7f6c…)', async () => {
    const d = join(tmp, 'complicated')
    await mkdir(join(d, 'keep'), { recursive: true })
    await writeFile(join(d, '.keep'), '')
    await writeFile(join(d, 'keep', '.keep'), '')
    await symlink('/nix/store/somewhereelse', join(d, 'aa'))
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const root = await ingestPath(d, blobs, dirs)
    assert.equal(root.kind, 'directory')
    assert.equal(root.kind === 'directory' && root.digest.hex, '424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb')
    assert.equal(root.kind === 'directory' && root.size, 8n)
  })

  it('ingests a single file and a symlink as root nodes', async () => {
    await writeFile(join(tmp, 'hello'), 'Hello World!')
    await chmod(join(tmp, 'hello'), 0o744)
    await symlink('/nix/store/somewhereelse', join(tmp, 'link'))
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const f = await ingestPath(join(tmp, 'hello'), blobs, dirs)
    assert.ok(f.kind === 'file' && f.executable && f.size === 12n && f.digest.hex === '5ca7815adcb484e9a136c11efe69c1d530176d549b5d18d038eb5280b4b3470c')
    const l = await ingestPath(join(tmp, 'link'), blobs, dirs)
    assert.ok(l.kind === 'symlink' && Buffer.from(l.target).toString() === '/nix/store/somewhereelse')
  })

  it('refuses special files', async function () {
    if (!which('mkfifo')) return this.skip()
    await mkdir(join(tmp, 't'))
    execFileSync('mkfifo', [join(tmp, 't', 'fifo')])
    await assert.rejects(ingestPath(join(tmp, 't'), new MemoryBlobService(), new MemoryDirectoryService()), UnsupportedFileTypeError)
  })

  it('round-trips random trees with Nix metadata (0444/0555, mtime 1)', async () => {
    const store = await FsObjectStore.open(join(tmp, 'castore'))
    const blobs = await FsBlobService.open(store), dirs = await FsDirectoryService.open(store)
    for (let seed = 1; seed <= 12; seed++) {
      const src = Buffer.from(join(tmp, `src${seed}`))
      await writeRandomTree(src, new Rng(seed), { maxDepth: 3, maxEntries: 6, maxFileSize: seed === 3 ? 3 * 1024 * 1024 : 40_000, binaryNames: true })
      const root = await ingestPath(src.toString(), blobs, dirs)
      const out = join(tmp, `out${seed}`)
      await materialise(root, out, blobs, dirs, { fsync: false })
      const again = await ingestPath(out, blobs, dirs)
      assert.ok(nodesEqual(root, again), `seed ${seed}: re-ingesting the materialised tree gives the same root`)
      // Contents equal; metadata canonical.
      const a = JSON.stringify(await describeTree(src)).replace(/"mode":"\d+","mtime":[\d.]+,?/g, '').replace(/"mtime":[\d.]+/g, '')
      const b = JSON.stringify(await describeTree(Buffer.from(out))).replace(/"mode":"\d+","mtime":[\d.]+,?/g, '').replace(/"mtime":[\d.]+/g, '')
      assert.equal(b, a)
      const walk = async (p: Buffer): Promise<void> => {
        const st = await lstat(p)
        assert.equal(st.mtimeMs, 1000, p.toString())
        if (st.isDirectory()) {
          assert.equal(st.mode & 0o7777, 0o555)
          for (const n of await readdir(p, { encoding: 'buffer' })) await walk(Buffer.concat([p, Buffer.from('/'), n]))
        } else if (st.isFile()) assert.ok([0o444, 0o555].includes(st.mode & 0o7777))
      }
      await walk(Buffer.from(out))
    }
  })

  it('keeps the executable bit and respects another metadata policy', async () => {
    const src = join(tmp, 'src')
    await mkdir(src)
    await writeFile(join(src, 'x'), 'run me'); await chmod(join(src, 'x'), 0o755)
    await writeFile(join(src, 'r'), 'read me')
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    const root = await ingestPath(src, blobs, dirs)
    const out = join(tmp, 'out')
    await materialise(root, out, blobs, dirs, { policy: { fileMode: x => (x ? 0o700 : 0o600), dirMode: 0o750, mtime: undefined }, fsync: false })
    assert.equal((await stat(join(out, 'x'))).mode & 0o7777, 0o700)
    assert.equal((await stat(join(out, 'r'))).mode & 0o7777, 0o600)
    assert.equal((await stat(out)).mode & 0o7777, 0o750)
    assert.ok((await stat(join(out, 'r'))).mtimeMs > 1000)
  })

  it('hard-links whole-file blobs, keyed by (digest, executable)', async () => {
    const store = await FsObjectStore.open(join(tmp, 'castore'))
    const blobs = await FsBlobService.open(store), dirs = await FsDirectoryService.open(store)
    const src = join(tmp, 'src')
    await mkdir(src)
    await writeFile(join(src, 'a'), 'same'); await writeFile(join(src, 'b'), 'same')
    await writeFile(join(src, 'x'), 'same'); await chmod(join(src, 'x'), 0o755)
    await writeFile(join(src, 'big'), pseudoRandomBytes(3 * 1024 * 1024, 4))
    const root = await ingestPath(src, blobs, dirs)
    const ino = async (p: string): Promise<number> => (await stat(p)).ino
    const xdir = join(tmp, 'xlinks')
    const s1 = await materialise(root, join(tmp, 'o1'), blobs, dirs, { hardLinks: true, linkDir: xdir })
    const s2 = await materialise(root, join(tmp, 'o2'), blobs, dirs, { hardLinks: true, linkDir: xdir })
    assert.equal(s1.files, 4); assert.equal(s1.linked, 4); assert.equal(s2.linked, 4)
    assert.equal(await ino(join(tmp, 'o1', 'big')), await ino(join(tmp, 'o2', 'big')), 'a chunked blob links to one copy in linkDir')
    const plain = await materialise(root, join(tmp, 'o3'), blobs, dirs, { hardLinks: true })
    assert.equal(plain.linked, 2, 'without linkDir only whole non-executable blobs are linked')
    const same = await ino(join(tmp, 'o1', 'a'))
    for (const p of ['o1/b', 'o2/a', 'o2/b']) assert.equal(await ino(join(tmp, p)), same)
    assert.notEqual(await ino(join(tmp, 'o1', 'x')), same, 'an executable never shares an inode with a non-executable')
    assert.equal(await ino(join(tmp, 'o1', 'x')), await ino(join(tmp, 'o2', 'x')))
    assert.equal((await stat(join(tmp, 'o1', 'x'))).mode & 0o7777, 0o555)
    assert.equal((await stat(join(tmp, 'o1', 'a'))).mode & 0o7777, 0o444)
    assert.equal((await stat(join(tmp, 'o1', 'a'))).mtimeMs, 1000)
    assert.equal((await stat(join(tmp, 'o1', 'a'))).nlink, 7, 'castore object + 6 files')
  })

  it('refuses to overwrite and leaves no temporary tree behind on failure', async () => {
    const blobs = new MemoryBlobService(), dirs = new MemoryDirectoryService()
    await writeFile(join(tmp, 'f'), 'data')
    const root = await ingestPath(join(tmp, 'f'), blobs, dirs)
    await mkdir(join(tmp, 'taken'))
    await assert.rejects(materialise(root, join(tmp, 'taken'), blobs, dirs), CastoreError)
    const missing = await ingestPath(join(tmp, 'f'), new MemoryBlobService(), new MemoryDirectoryService())
    await assert.rejects(materialise(missing, join(tmp, 'nope'), new MemoryBlobService(), dirs), /not found/)
    const left = (await readdir(tmp)).filter(n => n.includes('.tmp-'))
    assert.deepEqual(left, [])
    await rm(join(tmp, 'taken'), { recursive: true })
  })
})
