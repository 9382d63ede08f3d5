import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openUnder } from '../../test/support/nar-fs.js'
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
