import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  collectBytes, concatBytes, dumpPath, encodeNarTree, hashFile, hashPath, narFile, NarDumpError,
  NarNameError, NarRestoreError, narSymlink, restorePath, tokens,
} from './index.js'
import { writeHandTree } from '../../test/support/nar-fs.js'

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }

describe('NAR and the filesystem', () => {
  let tmp: string
  beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-fs-')) })
  afterEach(() => rmSync(tmp, { recursive: true, force: true }))

  it('dumps files, executables, symlinks and empty directories in byte order of names', async () => {
    const t = join(tmp, 't')
    const expected = writeHandTree(t)
    assert.deepEqual(await collectBytes(dumpPath(t)), encodeNarTree(expected))
  })

  it('dumps the same with and without the native per-file call, on this thread or with the helper', async () => {
    const t = Buffer.from(join(tmp, 't'))
    mkdirSync(join(tmp, 't', 'sub', 'deeper'), { recursive: true })
    writeFileSync(Buffer.concat([t, Buffer.from('/'), Buffer.from([0x66, 0xff, 0xfe, 0x0a])]), 'not utf-8')
    writeFileSync(join(tmp, 't', 'sub', 'empty'), '')
    writeFileSync(join(tmp, 't', 'sub', 'deeper', 'x'), '#!/bin/sh\n')
    chmodSync(join(tmp, 't', 'sub', 'deeper', 'x'), 0o700)
    writeFileSync(join(tmp, 't', 'sub', 'big'), randomBytes(300_000))
    symlinkSync('sub/big', join(tmp, 't', 'ln'))
    for (let i = 0; i < 100; i++) writeFileSync(join(tmp, 't', `f${i}`), randomBytes(i * 37))
    const want = await collectBytes(dumpPath(t, { native: false, helper: 'never' }))
    for (const helper of ['never', 'always'] as const) {
      assert.deepEqual(await collectBytes(dumpPath(t, { helper })), want, helper)
      assert.equal((await hashPath(t, 'sha256', { helper })).hash.toBase16(), createHash('sha256').update(want).digest('hex'), helper)
    }
  })

  it('dumps a big root file (read ahead on the thread pool) as narFile would encode it, executable or not', async function () {
    this.timeout(30_000)
    const data = randomBytes(9 * 1024 * 1024 + 5) // above the 8 MiB of the read-ahead path, not a multiple of 8
    const f = join(tmp, 'big')
    writeFileSync(f, data)
    for (const mode of [0o644, 0o755]) {
      chmodSync(f, mode)
      const pieces: Uint8Array[] = []
      const g = dumpPath(f, { readSize: 1024 * 1024 + 3 })
      assert.equal(g.stableChunks, true)
      for await (const p of g) pieces.push(p)
      assert.deepEqual(concatBytes(pieces), encodeNarTree(narFile(data, mode === 0o755)), mode.toString(8))
      // the same NAR through the dumper (recycled buffers take that path)
      assert.deepEqual(await collectBytes(dumpPath(f, { recycle: true })), encodeNarTree(narFile(data, mode === 0o755)))
    }
  })

  it('reuses a big root file\'s buffers within the window its consumer declares, never sooner', async function () {
    this.timeout(30_000)
    const data = randomBytes(12 * 1024 * 1024 + 9)
    const f = join(tmp, 'big')
    writeFileSync(f, data)
    const g = dumpPath(f, { readSize: 1024 * 1024 })
    g.reuseAfter!(2 * 1024 * 1024, 3)
    const got: Uint8Array[] = []
    const seen: Array<{ buffer: ArrayBufferLike; at: number; bytes: number }> = []
    let chunks = 0, bytes = 0
    for await (const p of g) {
      // A buffer handed out again must be past the window: 2 MiB and 3 chunks after its last use.
      const last = seen.filter(s => s.buffer === p.buffer).pop()
      if (last !== undefined) assert.ok(chunks - last.at - 1 >= 3 && bytes - last.bytes >= 2 * 1024 * 1024, `chunk ${chunks} reused too soon`)
      got.push(Uint8Array.prototype.slice.call(p)) // this consumer copies what it keeps
      chunks++
      bytes += p.length
      seen.push({ buffer: p.buffer, at: chunks - 1, bytes })
    }
    assert.deepEqual(concatBytes(got), encodeNarTree(narFile(data)))
    assert.ok(new Set(seen.map(s => s.buffer)).size < chunks - 4, 'buffers were reused')
  })

  it('refuses a big root file that shrinks while it is dumped', async function () {
    const f = join(tmp, 'big')
    writeFileSync(f, randomBytes(10 * 1024 * 1024))
    const g = dumpPath(f, { readSize: 1024 * 1024 })
    await g.next()
    writeFileSync(f, 'short now')
    await assert.rejects(async () => { for await (const _ of g) { /* drain */ } }, NarDumpError)
  })

  it('dumps a top-level symlink as the link, not its target', async () => {
    symlinkSync('/etc', join(tmp, 'l'))
    assert.deepEqual(await collectBytes(dumpPath(join(tmp, 'l'))), encodeNarTree(narSymlink('/etc')))
  })

  it('streams big files in pieces, with the same bytes and hash', async () => {
    const big = randomBytes(3 * 65536 + 13)
    writeFileSync(join(tmp, 'big'), big)
    const want = encodeNarTree(narFile(big))
    const pieces: Uint8Array[] = []
    for await (const c of dumpPath(join(tmp, 'big'), { chunkSize: 8192, readSize: 65536 })) pieces.push(new Uint8Array(c))
    assert.ok(pieces.length > 3)
    assert.deepEqual(concatBytes(pieces), want)
    const h = await hashPath(join(tmp, 'big'), 'sha256', { chunkSize: 8192, readSize: 65536 })
    assert.equal(h.narSize, want.length)
    assert.equal(h.hash.toBase16(), createHash('sha256').update(want).digest('hex'))
    const flat = await hashFile(join(tmp, 'big'), 'md5')
    assert.equal(flat.hash.toBase16(), createHash('md5').update(big).digest('hex'))
  })

  it('lets a consumer stop in the middle of a big file', async () => {
    writeFileSync(join(tmp, 'big'), randomBytes(5 * 65536))
    for await (const c of dumpPath(join(tmp, 'big'), { chunkSize: 8192, readSize: 65536 })) { void c; break }
    const got: Uint8Array[] = []
    for await (const c of dumpPath(join(tmp, 'big'), { chunkSize: 8192, readSize: 65536, recycle: true })) got.push(new Uint8Array(c))
    assert.deepEqual(concatBytes(got), encodeNarTree(narFile(readFileSync(join(tmp, 'big')))))
  })

  it('refuses file types a NAR cannot hold', async function () {
    const sock = join(tmp, 'sock')
    const server = createServer()
    await new Promise<void>(r => server.listen(sock, r))
    try {
      await assert.rejects(collectBytes(dumpPath(tmp)), (e: unknown) => e instanceof NarDumpError && /has an unsupported type/.test(e.message))
    } finally {
      server.close()
    }
  })

  it('refuses to dump entries 64 directories deep, as C++ 2.34 does', async () => {
    let p = join(tmp, 'deep')
    mkdirSync(p)
    for (let i = 0; i < 63; i++) { p = join(p, 'd'); mkdirSync(p) }
    await collectBytes(dumpPath(join(tmp, 'deep')))
    writeFileSync(join(p, 'f'), '')
    await assert.rejects(collectBytes(dumpPath(join(tmp, 'deep'))), /exceeds maximum NAR directory depth of 64/)
  })

  it('restores what it dumps, names that are not UTF-8 included', async () => {
    const t = Buffer.from(join(tmp, 't'))
    const odd = Buffer.from([0x66, 0xff, 0xfe, 0x0a, 0x20])
    mkdirSync(t)
    writeFileSync(Buffer.concat([t, Buffer.from('/'), odd]), 'odd')
    writeFileSync(join(tmp, 't', 'x'), 'exec')
    chmodSync(join(tmp, 't', 'x'), 0o755)
    symlinkSync('x', join(tmp, 't', 'ln'))
    const nar = await collectBytes(dumpPath(t))
    const r = await restorePath(join(tmp, 'r'), once(nar), { hash: 'sha256' })
    assert.equal(r.narSize, nar.length)
    assert.deepEqual(await collectBytes(dumpPath(join(tmp, 'r'))), nar)
    assert.equal(lstatSync(join(tmp, 'r', 'x')).mode & 0o111, 0o111)
    assert.equal(readlinkSync(join(tmp, 'r', 'ln')), 'x')
    assert.ok(readdirSync(join(tmp, 'r'), { encoding: 'buffer' }).some(n => n.equals(odd)))
  })

  it('restores the same with and without the native per-file call, NAR chunks splitting files anywhere', async () => {
    const t = join(tmp, 't')
    mkdirSync(join(t, 'a', 'b'), { recursive: true })
    mkdirSync(join(t, 'empty-dir'))
    writeFileSync(join(t, 'a', 'b', 'x'), '#!/bin/sh\n')
    chmodSync(join(t, 'a', 'b', 'x'), 0o755)
    writeFileSync(join(t, 'a', 'empty'), '')
    writeFileSync(join(t, 'a', 'big'), randomBytes(50_000))
    writeFileSync(join(t, 'a', 'bigx'), randomBytes(20_000))
    chmodSync(join(t, 'a', 'bigx'), 0o700)
    symlinkSync('a/b/x', join(t, 'ln'))
    for (let i = 0; i < 40; i++) writeFileSync(join(t, `f${i}`), randomBytes(i * 53))
    const nar = await collectBytes(dumpPath(t))
    const modes = (root: string): string[] => {
      const out: string[] = []
      const walk = (p: string, rel: string): void => {
        const st = lstatSync(p)
        out.push(`${rel} ${st.mode.toString(8)}`)
        if (st.isDirectory()) for (const n of readdirSync(p).sort()) walk(join(p, n), `${rel}/${n}`)
      }
      walk(root, '.')
      return out
    }
    async function* pieces(size: number): AsyncGenerator<Uint8Array> {
      for (let o = 0; o < nar.length; o += size) yield nar.subarray(o, o + size)
    }
    await restorePath(join(tmp, 'slow'), pieces(nar.length), { native: false })
    for (const size of [nar.length, 4096, 999]) {
      const out = join(tmp, `r${size}`)
      await restorePath(out, pieces(size))
      assert.deepEqual(await collectBytes(dumpPath(out)), nar, String(size))
      assert.deepEqual(modes(out), modes(join(tmp, 'slow')), String(size))
    }
  })

  it('restores a single file or symlink at the target itself', async () => {
    await restorePath(join(tmp, 'f'), once(encodeNarTree(narFile('data', true))))
    assert.equal(readFileSync(join(tmp, 'f'), 'utf8'), 'data')
    assert.equal(lstatSync(join(tmp, 'f')).mode & 0o100, 0o100)
    await restorePath(join(tmp, 's'), once(encodeNarTree(narSymlink('f'))))
    assert.equal(readlinkSync(join(tmp, 's')), 'f')
  })

  it('refuses to restore over an existing path, even a dangling symlink', async () => {
    symlinkSync(join(tmp, 'elsewhere'), join(tmp, 'target'))
    await assert.rejects(restorePath(join(tmp, 'target'), once(encodeNarTree(narFile('x')))), NarRestoreError)
    assert.equal(existsSync(join(tmp, 'elsewhere')), false)
  })

  it('writes nothing outside the target for a NAR naming ..', async () => {
    const evil = tokens('nix-archive-1', '(', 'type', 'directory', 'entry', '(', 'name', '..', 'node',
      '(', 'type', 'regular', 'contents', 'pwned', ')', ')', ')')
    mkdirSync(join(tmp, 'inner'))
    await assert.rejects(restorePath(join(tmp, 'inner', 'target'), once(evil)), NarNameError)
    assert.deepEqual(readdirSync(tmp), ['inner'])
    assert.deepEqual(readdirSync(join(tmp, 'inner')), ['target'])
    assert.deepEqual(readdirSync(join(tmp, 'inner', 'target')), [])
  })
})
