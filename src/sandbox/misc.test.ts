import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isRoot, skipBecause } from '../../test/support/env.js'
import { canonicalise } from './canonicalise.js'
import { CanonicaliseError, SandboxRequestError, SandboxRuntimeError } from './errors.js'
import { BuildLimiter } from './limits.js'
import { Runc } from './runc.js'
import { reapStale } from './stale.js'
import type { LimitHit } from './types.js'
import { UidPool } from './uid-pool.js'

describe('sandbox: errors', () => {
  it('has stable names and codes', () => {
    const table: Array<[Error & { code: string }, string, string]> = [
      [new SandboxRequestError('x'), 'SandboxRequestError', 'ERR_SANDBOX_REQUEST'],
      [new SandboxRuntimeError('x'), 'SandboxRuntimeError', 'ERR_SANDBOX_RUNTIME'],
      [new CanonicaliseError('x'), 'CanonicaliseError', 'ERR_CANONICALISE'],
    ]
    for (const [e, name, code] of table) {
      assert.equal(e.name, name)
      assert.equal(e.code, code)
    }
  })
})

describe('sandbox: build limits', () => {
  const wait = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

  it('trips max-log-size on the chunk that crosses it, and drops that chunk', () => {
    const hits: LimitHit[] = []
    const l = new BuildLimiter({ maxLogBytes: 10 }, h => hits.push(h))
    l.start()
    assert.equal(l.output(6), true)
    assert.equal(l.output(4), true)
    assert.equal(l.output(1), false)
    assert.equal(l.output(1), false)
    l.stop()
    assert.deepEqual(hits, ['max-log-size'])
    assert.equal(l.limitHit, 'max-log-size')
  })

  it('trips max-silent-time only without output, and timeout regardless', async () => {
    const hits: LimitHit[] = []
    const l = new BuildLimiter({ maxSilentSeconds: 0.15 }, h => hits.push(h))
    l.start()
    for (let i = 0; i < 4; i++) { await wait(60); l.output(1) }
    assert.deepEqual(hits, [])
    await wait(250)
    assert.deepEqual(hits, ['max-silent-time'])
    const t: LimitHit[] = []
    const l2 = new BuildLimiter({ timeoutSeconds: 0.1, maxSilentSeconds: 10 }, h => t.push(h))
    l2.start()
    for (let i = 0; i < 4; i++) { await wait(40); l2.output(1) }
    assert.deepEqual(t, ['timeout'])
    l2.stop()
  })
})

describe('sandbox: uid pool', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-uidpool-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('never hands out the same ids twice at once, and reuses released slots', () => {
    const pool = new UidPool({ lockDir: join(dir, 'locks'), base: 1_000_000, slots: 3 })
    const a = pool.acquire()
    const b = pool.acquire()
    const c = pool.acquire()
    const ids = [a, b, c].flatMap(l => [l.ids.rootUid, l.ids.buildUid])
    assert.equal(new Set(ids).size, 6)
    assert.deepEqual(a.ids, { rootUid: 1_000_000, rootGid: 1_000_000, buildUid: 1_000_001, buildGid: 1_000_001 })
    assert.throws(() => pool.acquire(), SandboxRuntimeError)
    b.release()
    assert.equal(pool.acquire().slot, b.slot)
    // A second pool on the same lock dir (another process would be the same) sees them taken.
    const other = new UidPool({ lockDir: join(dir, 'locks'), base: 1_000_000, slots: 3 })
    assert.throws(() => other.acquire(), SandboxRuntimeError)
  })

  it('takes over a lock whose owner is gone', () => {
    const lockDir = join(dir, 'locks')
    mkdirSync(lockDir, { recursive: true })
    // A pid that cannot be running: the one of a child we already reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    writeFileSync(join(lockDir, 'slot-0'), String(dead))
    const pool = new UidPool({ lockDir, slots: 1 })
    assert.equal(pool.acquire().slot, 0)
  })
})

describe('sandbox: canonicalise', () => {
  let dir: string
  before(function () { if (!isRoot) skipBecause(this, 'canonicalise chowns to root: needs root') })
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-canon-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('gives outputs Nix store metadata: 0444/0555, mtime 1, our owner, no special bits', async () => {
    const out = join(dir, 'out')
    mkdirSync(join(out, 'bin'), { recursive: true })
    writeFileSync(join(out, 'bin', 'tool'), '#!/bin/sh\n')
    chmodSync(join(out, 'bin', 'tool'), 0o4755)
    writeFileSync(join(out, 'data'), 'x')
    chmodSync(join(out, 'data'), 0o664)
    symlinkSync('data', join(out, 'link'))
    linkSync(join(out, 'data'), join(out, 'hardlink'))
    for (const p of [out, join(out, 'bin'), join(out, 'bin', 'tool'), join(out, 'data')]) chownSync(p, 4242, 4242)
    lchownSync(join(out, 'link'), 4242, 4242)
    chmodSync(join(out, 'bin'), 0o2775)
    await canonicalise(out, { buildUid: 4242 })
    const m = (p: string): string => (lstatSync(join(out, p)).mode & 0o7777).toString(8)
    assert.equal(m(''), '555')
    assert.equal(m('bin'), '555')
    assert.equal(m('bin/tool'), '555')
    assert.equal(m('data'), '444')
    for (const p of ['', 'bin', 'bin/tool', 'data', 'link']) {
      const st = lstatSync(join(out, p))
      assert.equal(st.mtimeMs, 1000, p)
      assert.equal(st.uid, 0, p)
    }
  })

  it('rejects unsupported file types and files owned by somebody else', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    spawnSync('mkfifo', [join(out, 'fifo')])
    await assert.rejects(canonicalise(out), /has an unsupported type/)
    rmSync(join(out, 'fifo'))
    writeFileSync(join(out, 'foreign'), 'x')
    chownSync(out, 4242, 4242)
    // 'foreign' stays root-owned: as if the builder had hard-linked a file it does not own.
    await assert.rejects(canonicalise(out, { buildUid: 4242 }), /invalid ownership on file/)
  })

  it('keeps atime and only compares whole seconds of mtime, like Nix', async () => {
    const f = join(dir, 'f')
    writeFileSync(f, 'x')
    utimesSync(f, 12345, 1.5)
    await canonicalise(f)
    const st = lstatSync(f)
    assert.equal(st.atimeMs, 12345000)
    assert.equal(st.mtimeMs, 1500)
  })
})

describe('sandbox: crash recovery', () => {
  it('removes work dirs whose owner process is gone and keeps live ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsnix-stale-'))
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid
      for (const [sub, id, pid] of [['builds', 'tsnix-dead', dead], ['slots', 'tsnix-slot-dead', dead], ['builds', 'tsnix-live', process.pid]] as const) {
        mkdirSync(join(root, sub, id), { recursive: true })
        writeFileSync(join(root, sub, id, 'owner'), String(pid))
      }
      // No runc state exists for these ids, so the runc binary is never called.
      const reaped = await reapStale(root, new Runc('/nonexistent/runc', join(root, 'runc')))
      assert.deepEqual(reaped.sort(), ['tsnix-dead', 'tsnix-slot-dead'])
      assert.deepEqual(readdirSync(join(root, 'builds')), ['tsnix-live'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
