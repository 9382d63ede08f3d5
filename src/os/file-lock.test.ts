import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nativeAddon, openLockFile, PathLocks, tryLockFd } from './index.js'
import { skipBecause, which } from '../../test/support/env.js'

describe('file locks (flock, as C++ Nix)', () => {
  let dir: string
  beforeEach(function () {
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-lock-'))
  })
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('excludes another process holding flock(1) on the same file, and sees it released', async function () {
    if (!which('flock')) skipBecause(this, 'util-linux flock(1) not installed')
    const path = join(dir, 'x.lock')
    // flock(1) uses the same flock(2) call as C++ Nix's lockFile().
    const holder = spawn('flock', ['-x', path, 'sh', '-c', 'echo locked; sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    await new Promise<void>(resolve => holder.stdout.once('data', () => resolve()))
    const fh = (await openLockFile(path, true))!
    try {
      assert.equal(tryLockFd(fh.fd, 'write'), false)
      assert.equal(tryLockFd(fh.fd, 'read'), false)
      // The lock lives as long as any process holds the descriptor: kill the whole group.
      process.kill(-holder.pid!, 'SIGKILL')
      await new Promise(r => holder.once('exit', r))
      // The group's other member (sleep) may take a moment to die and drop the descriptor.
      let free = false
      for (let i = 0; i < 200 && !free; i++) { free = tryLockFd(fh.fd, 'write'); if (!free) await new Promise(r => setTimeout(r, 10)) }
      assert.equal(free, true)
      // And the other way round: flock -n now fails while we hold it.
      const code = await new Promise<number | null>(r => execFile('flock', ['-n', '-x', path, 'true']).once('exit', r))
      assert.equal(code, 1)
    } finally { await fh.close() }
  })

  it('serialises PathLocks and marks deleted lock files stale', async () => {
    const p = join(dir, 'abc-foo')
    const first = (await PathLocks.acquire([p]))!
    assert.equal(await PathLocks.acquire([p], { wait: false }), undefined)
    let secondGot = false
    const second = PathLocks.acquire([p]).then(l => { secondGot = true; return l! })
    await new Promise(r => setTimeout(r, 30))
    assert.equal(secondGot, false)
    first.setDeletion(true)
    await first.release()
    const l2 = await second
    assert.ok(secondGot)
    // The waiter acquired the old (now stale) file, noticed the 'd' and retried on a fresh file.
    assert.ok(existsSync(`${p}.lock`))
    assert.equal(readFileSync(`${p}.lock`, 'utf8'), '')
    await l2.release()
  })

  it('takes PathLocks synchronously when all are free, and not at all otherwise', async () => {
    const [a, b] = [join(dir, 'a-x'), join(dir, 'b-y')]
    const held = (await PathLocks.acquire([b]))!
    assert.equal(PathLocks.tryAcquireSync([a, b]), undefined)
    const fh = (await openLockFile(`${a}.lock`, true))!
    try { assert.equal(tryLockFd(fh.fd, 'write'), true, 'the lock on a was given back') } finally { await fh.close() }
    await held.release()
    const both = PathLocks.tryAcquireSync([b, a])!
    assert.equal(await PathLocks.acquire([a], { wait: false }), undefined)
    both.setDeletion(true)
    both.releaseSync()
    assert.equal(existsSync(`${a}.lock`), false)
    assert.equal(existsSync(`${b}.lock`), false)
    ;(await PathLocks.acquire([a, b]))!.release()
  })
})
