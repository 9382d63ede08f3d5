import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipBecause } from '../../test/support/env.js'
import { openUnder } from '../../test/support/nar-fs.js'
import { narWalkNative } from './fs-native.js'
import { collectBytes, dumpPath, dumpPathSync, FdOutput, NarDumpError } from './index.js'

describe('NAR dump to a file descriptor (FdOutput, file ranges)', () => {
  let tmp: string
  let tree: string
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-out-'))
    tree = join(tmp, 't')
    mkdirSync(join(tree, 'd'), { recursive: true })
    writeFileSync(join(tree, 'a-big'), randomBytes(300_000 + 3))
    writeFileSync(join(tree, 'd', 'small'), 'small file\n')
    writeFileSync(join(tree, 'd', 'z-big'), randomBytes(70_001))
    writeFileSync(join(tree, 'empty'), '')
  })
  after(() => rmSync(tmp, { recursive: true, force: true }))

  /** Dump `tree` through an FdOutput on a new file opened with `flags`; its contents. */
  function dumpTo(flags: number, opts: { rangeSize?: number; env?: string; zeroCopy?: boolean } = {}): Buffer {
    const file = join(tmp, 'out.nar')
    rmSync(file, { force: true })
    const fd = openSync(file, flags | constants.O_CREAT | constants.O_WRONLY, 0o644)
    const saved = process.env['TSNIX_SENDFILE']
    if (opts.env !== undefined) process.env['TSNIX_SENDFILE'] = opts.env
    try {
      const out = new FdOutput(fd)
      if (opts.env !== undefined) process.env['TSNIX_SENDFILE'] = saved
      const size = dumpPathSync(tree, p => out.write(p), { chunkSize: 8192, helper: 'never', sendRange: r => out.sendRange(r), ...(opts.rangeSize !== undefined ? { rangeSize: opts.rangeSize } : {}) })
      assert.equal(size, readFileSync(file).length)
      if (opts.zeroCopy !== undefined) assert.equal(out.zeroCopy, opts.zeroCopy)
    } finally {
      if (saved === undefined) delete process.env['TSNIX_SENDFILE']
      else process.env['TSNIX_SENDFILE'] = saved
      closeSync(fd)
    }
    return readFileSync(file)
  }

  it('writes the same bytes as dumpPath: by sendfile, by copying, and after sendfile is refused', async () => {
    const want = Buffer.from(await collectBytes(dumpPath(tree)))
    // Ranges of 64 KiB: several per big file, the last one shorter.
    assert.ok(dumpTo(0, { rangeSize: 65536 }).equals(want))
    assert.ok(dumpTo(0).equals(want))
    assert.ok(dumpTo(0, { env: '0', zeroCopy: false }).equals(want))
    // sendfile refuses an O_APPEND output (EINVAL): the ranges are copied instead.
    assert.ok(dumpTo(constants.O_APPEND, { zeroCopy: false }).equals(want))
    assert.deepEqual(openUnder(tmp), [])
  })

  it('fails, closing its files, when a big file shrinks while it is dumped', () => {
    const victim = join(tmp, 'shrinks')
    mkdirSync(victim)
    writeFileSync(join(victim, 'big'), randomBytes(200_000))
    const fd = openSync(join(tmp, 'sink'), constants.O_CREAT | constants.O_WRONLY | constants.O_TRUNC, 0o644)
    try {
      const out = new FdOutput(fd)
      assert.throws(() => dumpPathSync(victim, p => out.write(p), {
        chunkSize: 8192, rangeSize: 65536, helper: 'never',
        sendRange: r => { if (r.position > 0) truncateSync(join(victim, 'big'), 100_000); return out.sendRange(r) },
      }), (e: unknown) => e instanceof NarDumpError && /changed while it was being read/.test(e.message))
      assert.deepEqual(openUnder(victim), [])
    } finally {
      closeSync(fd)
    }
  })
})

describe('NAR dump with direct fills (the native walk writes small files to the fd itself)', function () {
  let tmp: string
  before(function () {
    if (narWalkNative() === null) skipBecause(this, 'native addon not built (node native/build.mjs): no walk, so no direct fills')
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-direct-'))
  })
  after(() => { if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true }) })

  /** A tree with what a fill can meet: nested and empty directories, symlinks, executables, big files between small ones. */
  function makeTree(root: string): void {
    mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true })
    mkdirSync(join(root, 'empty'))
    let seed = 1
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648)
    // ~3 MiB of small files in one directory: several flushes and more than one buffer
    for (let i = 0; i < 300; i++) writeFileSync(join(root, 'a', `f${String(i).padStart(3, '0')}`), randomBytes(next() % 20_000))
    writeFileSync(join(root, 'a', 'm-big'), randomBytes(600_000))
    writeFileSync(join(root, 'a', 'b', 'x'), 'x', { mode: 0o755 })
    writeFileSync(join(root, 'a', 'b', 'c', 'deep'), 'deep\n')
    symlinkSync('../empty', join(root, 'a', 'link'))
    writeFileSync(join(root, 'z'), '')
  }

  /** Dump `tree` into a new file through FdOutput; its bytes, and those handed to `write` (not written by the walk). */
  function dumpTo(tree: string, direct: boolean, maxDepth?: number): { nar: Buffer; viaWrite: number } {
    const file = join(tmp, 'out.nar')
    rmSync(file, { force: true })
    const fd = openSync(file, constants.O_CREAT | constants.O_WRONLY, 0o644)
    let viaWrite = 0
    try {
      const out = new FdOutput(fd)
      const size = dumpPathSync(tree, p => { viaWrite += p.length; out.write(p) }, {
        chunkSize: 8192, helper: 'never', sendRange: r => out.sendRange(r),
        ...(direct ? { outFd: fd } : {}), ...(maxDepth !== undefined ? { maxDepth } : {}),
      })
      assert.equal(size, readFileSync(file).length)
    } finally {
      closeSync(fd)
    }
    return { nar: readFileSync(file), viaWrite }
  }

  it('writes the same bytes as dumpPath, most of them from the walk', async () => {
    const tree = join(tmp, 't')
    makeTree(tree)
    const want = Buffer.from(await collectBytes(dumpPath(tree)))
    const direct = dumpTo(tree, true)
    assert.ok(direct.nar.equals(want))
    // big files and the framing between directories come through `write`; the small files do not
    assert.ok(direct.viaWrite < want.length - 2_000_000, `${direct.viaWrite} of ${want.length} bytes through write`)
    assert.ok(dumpTo(tree, false).nar.equals(want))
    for (const t of [join(tree, 'empty'), join(tree, 'a', 'b'), join(tree, 'z')]) {
      assert.ok(dumpTo(t, true).nar.equals(Buffer.from(await collectBytes(dumpPath(t)))), t)
    }
    assert.deepEqual(openUnder(tmp), [])
  })

  it('refuses a tree deeper than maxDepth as without direct fills', () => {
    const tree = join(tmp, 'deep')
    mkdirSync(join(tree, '1', '2', '3', '4'), { recursive: true })
    writeFileSync(join(tree, '1', '2', '3', '4', 'f'), 'f')
    const message = (direct: boolean): string => {
      try { dumpTo(tree, direct, 3) } catch (e) { return (e as Error).message }
      return 'no error'
    }
    assert.match(message(false), /exceeds maximum NAR directory depth of 3/)
    assert.equal(message(true), message(false))
  })

  it('fails with EPIPE, closing its files, when the reader of its pipe is gone', () => {
    const tree = join(tmp, 'p')
    makeTree(tree)
    const fifo = join(tmp, 'fifo')
    execFileSync('mkfifo', [fifo])
    let reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY)
    let inWrite = false
    try {
      const out = new FdOutput(writer)
      // The first piece (the NAR's start) still has a reader; the walk's writes then fail.
      const write = (p: Uint8Array): void => {
        inWrite = true
        out.write(p)
        inWrite = false
        if (reader >= 0) { closeSync(reader); reader = -1 }
      }
      assert.throws(() => dumpPathSync(tree, write, { helper: 'never', sendRange: r => out.sendRange(r), outFd: writer }),
        (e: unknown) => (e as NodeJS.ErrnoException).code === 'EPIPE' && /^EPIPE: broken pipe, write$/.test((e as Error).message))
      assert.equal(inWrite, false) // the walk's own write failed, not FdOutput's
    } finally {
      if (reader >= 0) closeSync(reader)
      closeSync(writer)
    }
    assert.deepEqual(openUnder(tree), [])
  })
})
