import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipBecause } from '../../test/support/env.js'
import { restoreBatchNative } from './fs-native.js'
import { RestoreBatcher } from './fs-restore-batch.js'
import { collectBytes, dumpPath, restorePath } from './index.js'

/** Paths, modes and contents under `root`, sorted (what a restore must reproduce). */
function snapshot(root: string): string[] {
  const out: string[] = []
  const walk = (p: string, rel: string): void => {
    const st = lstatSync(p)
    if (st.isDirectory()) {
      out.push(`${rel} ${st.mode.toString(8)}`)
      for (const n of readdirSync(p)) walk(join(p, n), `${rel}/${n}`)
    } else if (st.isSymbolicLink()) {
      out.push(`${rel} -> ${readlinkSync(p)}`)
    } else {
      out.push(`${rel} ${st.mode.toString(8)} ${readFileSync(p).toString('base64')}`)
    }
  }
  walk(root, '.')
  return out.sort()
}

function openUnder(dir: string): string[] {
  const out: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      if (target === dir || target.startsWith(`${dir}/`)) out.push(target)
    } catch { /* closed meanwhile */ }
  }
  return out
}

describe('NAR restore with native batches of small files', function () {
  this.timeout(60_000)
  let tmp: string
  let nar: Uint8Array
  let want: string[]
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-batch-'))
    const t = join(tmp, 'src')
    // More than one batch (1 MiB), sizes around the batch limit (64 KiB), more directories
    // than a batch closes before it is started (256), executables, empty files, symlinks.
    mkdirSync(join(t, 'many'), { recursive: true })
    for (let i = 0; i < 300; i++) {
      writeFileSync(join(t, 'many', `f${i}`), randomBytes((i * 7919) % 12_000))
      if (i % 7 === 0) chmodSync(join(t, 'many', `f${i}`), 0o755)
    }
    for (const n of [65_535, 65_536, 65_537, 0]) writeFileSync(join(t, `size-${n}`), randomBytes(n))
    writeFileSync(join(t, 'empty-x'), '')
    chmodSync(join(t, 'empty-x'), 0o700)
    symlinkSync('many/f1', join(t, 'ln'))
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(t, 'dirs', `d${i}`, 'sub'), { recursive: true })
      if (i % 3 === 0) writeFileSync(join(t, 'dirs', `d${i}`, 'sub', 'x'), `${i}`)
    }
    nar = await collectBytes(dumpPath(t))
    await restorePath(join(tmp, 'reference'), pieces(nar.length), { native: false })
    want = snapshot(join(tmp, 'reference'))
  })
  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }) })

  async function* pieces(size: number): AsyncGenerator<Uint8Array> {
    for (let o = 0; o < nar.length; o += size) yield nar.subarray(o, o + size)
  }

  it('restores the same tree every way, sync or not, NAR chunks splitting files anywhere', async () => {
    let k = 0
    for (const opts of [{ batch: true }, { batch: false }, { native: false }]) {
      for (const sync of [false, true]) {
        for (const size of [nar.length, 4096, 999]) {
          const out = join(tmp, `r${k++}`)
          await restorePath(out, pieces(size), { ...opts, sync })
          const what = `${JSON.stringify(opts)} sync ${sync} chunks of ${size}`
          assert.deepEqual(snapshot(out), want, what)
          assert.deepEqual(await collectBytes(dumpPath(out)), nar, what)
          assert.deepEqual(openUnder(out), [], what)
          rmSync(out, { recursive: true })
        }
      }
    }
  })

  it('closes every directory when the NAR breaks off', async () => {
    for (const sync of [false, true]) {
      const out = join(tmp, `cut-${sync}`)
      async function* cut(): AsyncGenerator<Uint8Array> { yield nar.subarray(0, Math.floor(nar.length * 0.7)) }
      await assert.rejects(restorePath(out, cut(), { sync, batch: true }))
      assert.deepEqual(openUnder(out), [], `sync ${sync}`)
    }
  })

  it('reports the first file it cannot create with its path, and creates none after it', async function () {
    const calls = restoreBatchNative()
    if (calls === null) skipBecause(this, 'the native addon (restoreBatch*) is not built')
    for (const sync of [false, true]) {
      const dir = join(tmp, `exists-${sync}`)
      mkdirSync(dir)
      writeFileSync(join(dir, 'b'), 'already there')
      const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
      const b = new RestoreBatcher(calls, sync, seq => { assert.equal(seq, 7); return Buffer.from(dir) })
      try {
        for (const name of ['a', 'b', 'c']) assert.equal(b.add(fd, 7, Buffer.from(name), Buffer.from(name), false), undefined)
        await assert.rejects(b.finish(), (e: unknown) => {
          const err = e as NodeJS.ErrnoException
          return err.code === 'EEXIST' && err.path === join(dir, 'b') && err.message.includes(join(dir, 'b'))
        }, `sync ${sync}`)
      } finally {
        closeSync(fd)
      }
      assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'a')
      assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'already there')
      assert.equal(existsSync(join(dir, 'c')), false)
    }
  })
})
