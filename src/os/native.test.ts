import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
