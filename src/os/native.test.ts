import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs'
import { constants as osConstants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { nativeAddon } from './index.js'
import { skipBecause, which } from '../../test/support/env.js'

describe('native addon: NAR calls (readFileAt, writeFileAt, sendfile)', () => {
  let dir: string
  let dirFd = -1
  beforeEach(function () {
    if (!nativeAddon()?.readFileAt || !nativeAddon()?.writeFileAt || !nativeAddon()?.sendfile) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-native-'))
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  })
  afterEach(() => {
    if (dirFd >= 0) closeSync(dirFd)
    dirFd = -1
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const name = (s: string): Uint8Array => Buffer.from(s)

  it('readFileAt reads a regular file relative to its directory: size * 2 + owner-executable', () => {
    const a = nativeAddon()!
    writeFileSync(join(dir, 'f'), 'hello')
    writeFileSync(join(dir, 'x'), '#!')
    chmodSync(join(dir, 'x'), 0o744)
    writeFileSync(join(dir, 'gx'), 'g')
    chmodSync(join(dir, 'gx'), 0o655) // only the owner's bit counts, as in a NAR
    writeFileSync(join(dir, 'e'), '')
    const into = Buffer.alloc(16, 0xaa)
    assert.equal(a.readFileAt!(dirFd, name('f'), into), 10)
    assert.equal(into.subarray(0, 6).toString('latin1'), 'hello\xaa')
    assert.equal(a.readFileAt!(dirFd, name('x'), into), 5)
    assert.equal(a.readFileAt!(dirFd, name('gx'), into), 2)
    assert.equal(a.readFileAt!(dirFd, name('e'), into), 0)
    // Bigger than `into`: only the size, nothing read.
    writeFileSync(join(dir, 'big'), Buffer.alloc(17, 1))
    into.fill(0)
    assert.equal(a.readFileAt!(dirFd, name('big'), into), 34)
    assert.equal(into.reduce((s, b) => s + b, 0), 0)
    // A view: only its bytes are the name.
    assert.equal(a.readFileAt!(dirFd, Buffer.from('xfy').subarray(1, 2), into), 10)
  })

  it('readFileAt answers -1 for anything but a readable regular file, never following symlinks', function () {
    const a = nativeAddon()!
    const into = Buffer.alloc(16)
    writeFileSync(join(dir, 'f'), 'hello')
    symlinkSync('f', join(dir, 'l'))
    mkdirSync(join(dir, 'd'))
    for (const n of ['l', 'd', 'missing', '', 'a/b', 'f\0x']) assert.equal(a.readFileAt!(dirFd, name(n), into), -1, JSON.stringify(n))
    if (which('mkfifo')) {
      // A FIFO must not block the open (nothing writes to it).
      execFileSync('mkfifo', [join(dir, 'p')])
      assert.equal(a.readFileAt!(dirFd, name('p'), into), -1)
    }
    assert.throws(() => a.readFileAt!(dirFd, 'f' as unknown as Uint8Array, into), TypeError)
  })

  it('writeFileAt creates a new file as C++ RestoreSink does, or answers -1 having done nothing', () => {
    const a = nativeAddon()!
    const umask = process.umask()
    assert.equal(a.writeFileAt!(dirFd, name('f'), Buffer.from('data'), false, false), 0)
    assert.equal(readFileSync(join(dir, 'f'), 'latin1'), 'data')
    assert.equal(lstatSync(join(dir, 'f')).mode & 0o7777, 0o666 & ~umask)
    assert.equal(a.writeFileAt!(dirFd, name('x'), new Uint8Array(0), true, false), 0)
    assert.equal(lstatSync(join(dir, 'x')).mode & 0o7777, (0o666 & ~umask) | 0o111)
    // keepOpen: the caller gets the fd to write the rest.
    const fd = a.writeFileAt!(dirFd, name('k'), Buffer.from('ab'), false, true)
    assert.ok(fd > 2)
    writeSync(fd, 'cd')
    closeSync(fd)
    assert.equal(readFileSync(join(dir, 'k'), 'latin1'), 'abcd')
    // Never through or over an existing entry; bad names are refused before any system call.
    symlinkSync('elsewhere', join(dir, 'l'))
    for (const n of ['f', 'l', '', 'a/b', 'f\0x', 'missing-dir/f']) assert.equal(a.writeFileAt!(dirFd, name(n), Buffer.from('z'), false, false), -1, JSON.stringify(n))
    assert.equal(readFileSync(join(dir, 'f'), 'latin1'), 'data')
    assert.equal(existsSync(join(dir, 'elsewhere')), false)
  })

  it('sendfile copies a file range to a file, and names the errno of a refusal', () => {
    const a = nativeAddon()!
    writeFileSync(join(dir, 'src'), '0123456789')
    const inFd = openSync(join(dir, 'src'), 'r')
    const outFd = openSync(join(dir, 'out'), 'w')
    const appendFd = openSync(join(dir, 'app'), 'a')
    try {
      assert.equal(a.sendfile!(outFd, inFd, 2, 5), 5)
      assert.equal(a.sendfile!(outFd, inFd, 8, 5), 2) // the file ends
      assert.equal(readFileSync(join(dir, 'out'), 'latin1'), '2345689')
      assert.throws(() => a.sendfile!(appendFd, inFd, 0, 5), (e: NodeJS.ErrnoException) => e.code === 'EINVAL')
    } finally {
      for (const fd of [inFd, outFd, appendFd]) closeSync(fd)
    }
  })
})

describe('native addon: castore object calls (putObject, putObjectAsync, touchObject, syncDirs)', () => {
  let dir: string
  beforeEach(function () {
    const a = nativeAddon()
    if (!a?.putObject || !a.putObjectAsync || !a.touchObject || !a.syncDirs) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-native-obj-'))
    mkdirSync(join(dir, 'tmp'))
    mkdirSync(join(dir, 'ab'))
  })
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('putObject writes through a temporary name onto the target, read-only (0444 less the umask)', async () => {
    const a = nativeAddon()!
    const umask = process.umask()
    for (const [i, sync] of [[0, false], [1, true]] as const) {
      const target = join(dir, 'ab', `obj${i}`)
      assert.equal(a.putObject!(join(dir, 'tmp', `t${i}`), target, Buffer.from('xyz data').subarray(4), sync), 0)
      assert.equal(readFileSync(target, 'latin1'), 'data')
      assert.equal(lstatSync(target).mode & 0o7777, 0o444 & ~umask)
    }
    assert.equal(await a.putObjectAsync!(join(dir, 'tmp', 't2'), join(dir, 'ab', 'obj2'), Buffer.from('more'), true), 0)
    assert.equal(readFileSync(join(dir, 'ab', 'obj2'), 'latin1'), 'more')
    // a missing directory of the target is made (-1: its parent has a new entry)
    assert.equal(a.putObject!(join(dir, 'tmp', 't4'), join(dir, 'cd', 'obj'), Buffer.from('c'), false), -1)
    assert.equal(await a.putObjectAsync!(join(dir, 'tmp', 't5'), join(dir, 'ef', 'obj'), Buffer.from('e'), true), -1)
    assert.equal(readFileSync(join(dir, 'cd', 'obj'), 'latin1') + readFileSync(join(dir, 'ef', 'obj'), 'latin1'), 'ce')
    assert.equal(lstatSync(join(dir, 'cd')).mode & 0o7777, 0o777 & ~umask)
    // an existing target is replaced (objects are immutable: same name, same contents)
    assert.equal(a.putObject!(join(dir, 'tmp', 't3'), join(dir, 'ab', 'obj2'), Buffer.from('more'), false), 0)
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
  })

  it('putObject answers the errno of the failing step and leaves nothing behind', async () => {
    const a = nativeAddon()!
    const { ENOENT, EEXIST } = osConstants.errno
    // the target's directory is missing and cannot be made (its parent is missing too): the
    // rename fails, the temporary file is removed
    assert.equal(a.putObject!(join(dir, 'tmp', 't'), join(dir, 'no', 'cd', 'obj'), Buffer.from('x'), false), ENOENT)
    assert.equal(await a.putObjectAsync!(join(dir, 'tmp', 't'), join(dir, 'no', 'cd', 'obj'), Buffer.from('x'), true), ENOENT)
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
    assert.equal(existsSync(join(dir, 'no')), false)
    // the temporary name is taken: nothing is touched
    writeFileSync(join(dir, 'tmp', 'taken'), 'keep')
    assert.equal(a.putObject!(join(dir, 'tmp', 'taken'), join(dir, 'ab', 'obj'), Buffer.from('x'), false), EEXIST)
    assert.equal(readFileSync(join(dir, 'tmp', 'taken'), 'latin1'), 'keep')
    assert.equal(existsSync(join(dir, 'ab', 'obj')), false)
    assert.throws(() => a.putObject!('', join(dir, 'ab', 'obj'), Buffer.from('x'), false), TypeError)
    assert.throws(() => a.putObject!(join(dir, 'tmp', 'a\0b'), join(dir, 'ab', 'obj'), Buffer.from('x'), false), TypeError)
  })

  it('touchObject refreshes atime (and so ctime) and keeps mtime to the nanosecond', () => {
    const a = nativeAddon()!
    const p = join(dir, 'ab', 'f')
    writeFileSync(p, 'x')
    utimesSync(p, 1000, 1.5)
    const before = statSync(p, { bigint: true })
    assert.equal(a.touchObject!(p), 1)
    const after = statSync(p, { bigint: true })
    assert.equal(after.mtimeNs, before.mtimeNs)
    assert.ok(after.atimeNs > 1000n * 1_000_000_000n)
    assert.ok(after.ctimeNs >= before.ctimeNs)
    assert.equal(a.touchObject!(join(dir, 'ab', 'missing')), 0)
    writeFileSync(join(dir, 'file'), '')
    assert.equal(a.touchObject!(join(dir, 'file', 'below')), -osConstants.errno.ENOTDIR)
  })

  it('syncDirs syncs every directory given, and answers the first errno', async () => {
    const a = nativeAddon()!
    assert.equal(await a.syncDirs!([]), 0)
    assert.equal(await a.syncDirs!([dir, join(dir, 'ab'), join(dir, 'tmp')]), 0)
    assert.equal(await a.syncDirs!([dir, join(dir, 'missing'), join(dir, 'ab')]), osConstants.errno.ENOENT)
    await assert.rejects(async () => a.syncDirs!([dir, 7 as unknown as string]), TypeError)
  })
})

describe('native addon: SHA-256 on the thread pool (sha256New, sha256UpdateAsync, sha256Final)', () => {
  beforeEach(function () {
    if (!nativeAddon()?.sha256New) skipBecause(this, 'native addon not built, or OpenSSL symbols not found in this Node')
  })

  it('hashes pieces in order, across tasks (FIPS 180-2 vectors)', async () => {
    const a = nativeAddon()!
    const h = a.sha256New!()
    assert.equal(await a.sha256UpdateAsync!(h, [Buffer.from('a'), new Uint8Array(0), Buffer.from('b')]), 0)
    assert.equal(await a.sha256UpdateAsync!(h, [Buffer.from('c')]), 0)
    assert.equal(Buffer.from(a.sha256Final!(h)).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const e = a.sha256New!()
    assert.equal(Buffer.from(a.sha256Final!(e)).toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('refuses a second update while one runs, a finished handle, and bad arguments', async () => {
    const a = nativeAddon()!
    const h = a.sha256New!()
    const big = new Uint8Array(8 * 1024 * 1024)
    const p = a.sha256UpdateAsync!(h, [big])
    assert.throws(() => a.sha256UpdateAsync!(h, [big]), /still running/)
    assert.throws(() => a.sha256Final!(h), /still running/)
    assert.equal(await p, 0)
    a.sha256Final!(h)
    assert.throws(() => a.sha256Final!(h), /finished/)
    assert.throws(() => a.sha256UpdateAsync!({} as never, []), TypeError)
    assert.throws(() => a.sha256UpdateAsync!(a.sha256New!(), ['x' as never]), TypeError)
  })
})

describe('native addon: a shared read-only mapping of a file start (mapShared)', () => {
  let dir: string
  beforeEach(function () {
    if (!nativeAddon()?.mapShared) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-native-map-'))
  })
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('shows the file as it is written, without a copy', () => {
    const f = join(dir, 'shm')
    writeFileSync(f, Buffer.alloc(4096, 1))
    const view = new Uint8Array(nativeAddon()!.mapShared!(f, 48))
    assert.equal(view.length, 48)
    assert.equal(view[47], 1)
    // a write through another descriptor (as SQLite's to its -shm) is seen at once
    const fd = openSync(f, 'r+')
    try { writeSync(fd, Buffer.from([7, 8]), 0, 2, 46) } finally { closeSync(fd) }
    assert.deepEqual([...view.subarray(45, 48)], [1, 7, 8])
  })

  it('refuses a file shorter than asked, a length beyond one page, a missing file and bad arguments', () => {
    const a = nativeAddon()!
    const f = join(dir, 'short')
    writeFileSync(f, Buffer.alloc(10))
    assert.throws(() => a.mapShared!(f, 48), /shorter/)
    assert.throws(() => a.mapShared!(f, 1 << 20), TypeError)
    assert.throws(() => a.mapShared!(join(dir, 'none'), 8), /No such file/)
    assert.throws(() => a.mapShared!(f, 0), TypeError)
    assert.throws(() => a.mapShared!(1 as never, 8), TypeError)
  })
})

describe('native addon: CPU time of reaped children (childrenCpu)', () => {
  beforeEach(function () {
    if (!nativeAddon()?.childrenCpu) skipBecause(this, 'native addon not built (node native/build.mjs)')
  })

  it('grows by a child’s user time once it is reaped, in µs', () => {
    const a = nativeAddon()!
    const [u0, s0] = a.childrenCpu!()
    // A child that spins ~150 ms of user time: the difference must show about that much.
    execFileSync(process.execPath, ['-e', 'const t = process.hrtime.bigint(); while (process.hrtime.bigint() - t < 150_000_000n);'])
    const [u1, s1] = a.childrenCpu!()
    assert.ok(u1 - u0 >= 100_000, `user µs grew by ${u1 - u0}`)
    assert.ok(u1 - u0 < 5_000_000, `user µs grew by ${u1 - u0}`)
    assert.ok(s1 >= s0)
  })
})
