/**
 * Small objects written as unnamed files (native putObjectAnon: O_TMPFILE, then linkat onto the
 * object's name): what FsObjectStore.putSync relies on. Expected values are worked out from
 * the call's contract (Linux open(2), linkat(2), utimensat(2)).
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs'
import { constants as osConstants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { nativeAddon } from '../os/native.js'
import { skipBecause } from '../../test/support/env.js'
import { blake3 } from './blake3.js'
import { B3Digest } from './digest.js'
import { FsBlobService } from './fs-blob-service.js'
import { FsObjectStore } from './fs-object-store.js'

describe('castore: objects written as unnamed files (putObjectAnon)', () => {
  let dir: string
  beforeEach(function () {
    if (!nativeAddon()?.putObjectAnon) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-anon-'))
    mkdirSync(join(dir, 'tmp'))
    mkdirSync(join(dir, 'ab'))
  })
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('links a new object in with its contents, 0444 less the umask and the mtime asked for; no temporary name', () => {
    const a = nativeAddon()!
    const umask = process.umask()
    for (const [i, sync] of [[0, false], [1, true]] as const) {
      const target = join(dir, 'ab', `obj${i}`)
      assert.equal(a.putObjectAnon!(join(dir, 'tmp'), target, Buffer.from('xyz data').subarray(4), sync, 1), 0)
      assert.equal(readFileSync(target, 'latin1'), 'data')
      const st = statSync(target)
      assert.equal(st.mode & 0o7777, 0o444 & ~umask)
      assert.equal(st.mtimeMs, 1000)
      assert.equal(st.nlink, 1)
    }
    // mtime < 0: left as written (now)
    const before = Date.now() - 5000
    assert.equal(a.putObjectAnon!(join(dir, 'tmp'), join(dir, 'ab', 'now'), Buffer.from('n'), false, -1), 0)
    assert.ok(statSync(join(dir, 'ab', 'now')).mtimeMs >= before)
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
  })

  it('makes a missing directory of the target (-1) and keeps an existing object, touching it (-2)', async () => {
    const a = nativeAddon()!
    const umask = process.umask()
    assert.equal(a.putObjectAnon!(join(dir, 'tmp'), join(dir, 'cd', 'obj'), Buffer.from('c'), false, 1), -1)
    assert.equal(readFileSync(join(dir, 'cd', 'obj'), 'latin1'), 'c')
    assert.equal(statSync(join(dir, 'cd')).mode & 0o7777, 0o777 & ~umask)
    // an object is immutable: a second write of the name keeps the first file and refreshes its
    // ctime (castore's GC stamp); mtime stays as it was
    const target = join(dir, 'cd', 'obj')
    utimesSync(target, 5, 1) // moves ctime to now; wait so a touch shows
    const ctime0 = statSync(target).ctimeMs
    await new Promise(r => setTimeout(r, 20))
    assert.equal(a.putObjectAnon!(join(dir, 'tmp'), target, Buffer.from('other'), false, 7), -2)
    const st = statSync(target)
    assert.equal(readFileSync(target, 'latin1'), 'c')
    assert.equal(st.mtimeMs, 1000)
    assert.ok(st.ctimeMs > ctime0, `ctime moved (${ctime0} → ${st.ctimeMs})`)
    assert.ok(st.atimeMs > 5000, 'atime is now')
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
  })

  it('putObjectAnonAsync does the same on the thread pool', async () => {
    const a = nativeAddon()!
    assert.equal(await a.putObjectAnonAsync!(join(dir, 'tmp'), join(dir, 'ab', 'x'), Buffer.from('async'), true, 1), 0)
    assert.equal(await a.putObjectAnonAsync!(join(dir, 'tmp'), join(dir, 'gh', 'x'), Buffer.from('made'), false, 1), -1)
    assert.equal(await a.putObjectAnonAsync!(join(dir, 'tmp'), join(dir, 'ab', 'x'), Buffer.from('again'), false, 1), -2)
    assert.equal(await a.putObjectAnonAsync!(join(dir, 'tmp'), join(dir, 'no', 'cd', 'obj'), Buffer.from('x'), false, 1), osConstants.errno.ENOENT)
    assert.equal(readFileSync(join(dir, 'ab', 'x'), 'latin1') + readFileSync(join(dir, 'gh', 'x'), 'latin1'), 'asyncmade')
    assert.equal(statSync(join(dir, 'ab', 'x')).mtimeMs, 1000)
    assert.throws(() => a.putObjectAnonAsync!(join(dir, 'tmp'), join(dir, 'ab', 'y'), 'text' as unknown as Uint8Array, false, 1), TypeError)
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
  })

  it('putObjectsAnonAsync stores a batch in one task, each object answered as by putObjectAnon', async () => {
    const a = nativeAddon()!
    if (!a.putObjectsAnonAsync) return // an addon without it: FsObjectStore falls back to single puts
    const { ENOENT } = osConstants.errno
    const targets = [join(dir, 'ab', 'one'), join(dir, 'ef', 'two'), join(dir, 'ab', 'one'), join(dir, 'no', 'cd', 'x'), join(dir, 'ab', 'three')]
    const datas = ['1', 'second', 'again', 'x', 'the third'].map(t => Buffer.from(`..${t}`).subarray(2))
    const results = new Int32Array(targets.length)
    assert.equal(await a.putObjectsAnonAsync(join(dir, 'tmp'), targets, datas, true, 1, results), 0)
    // stored; its directory made; kept (the first write of the name wins); not storable; stored after a failure
    assert.deepEqual([...results], [0, -1, -2, ENOENT, 0])
    assert.deepEqual([join(dir, 'ab', 'one'), join(dir, 'ef', 'two'), join(dir, 'ab', 'three')].map(p => readFileSync(p, 'latin1')), ['1', 'second', 'the third'])
    assert.equal(statSync(join(dir, 'ef', 'two')).mtimeMs, 1000)
    assert.deepEqual(readdirSync(join(dir, 'tmp')), [])
    assert.equal(await a.putObjectsAnonAsync(join(dir, 'tmp'), [], [], false, 1, new Int32Array(0)), 0)
    assert.throws(() => a.putObjectsAnonAsync!(join(dir, 'tmp'), targets, datas.slice(1), false, 1, results), TypeError)
    assert.throws(() => a.putObjectsAnonAsync!(join(dir, 'tmp'), targets, datas, false, 1, new Int32Array(2)), TypeError)
    assert.throws(() => a.putObjectsAnonAsync!(join(dir, 'tmp'), ['x', ''], ['a', 'b'].map(t => Buffer.from(t)), false, 1, new Int32Array(2)), TypeError)
  })

  it('FsObjectStore blob puts made in one turn are all stored (batched), repeated ones too', async () => {
    const store = await FsObjectStore.open(join(dir, 'store'), { objectMtime: 1 })
    const svc = await FsBlobService.open(store)
    const texts = Array.from({ length: 21 }, (_, i) => `blob ${i % 19}`) // 19 distinct, two repeated
    const digests = await Promise.all(texts.map(t => svc.put(new TextEncoder().encode(t))))
    digests.forEach((d, i) => {
      assert.equal(d.hex, B3Digest.adopt(blake3(new TextEncoder().encode(texts[i]!))).hex)
      assert.equal(readFileSync(store.path('blob', d), 'utf8'), texts[i])
    })
    await store.sync()
    assert.deepEqual(readdirSync(join(dir, 'store', 'tmp')), [])
  })

  it('answers the errno and leaves nothing when it cannot store', () => {
    const a = nativeAddon()!
    const { ENOENT } = osConstants.errno
    // the target's directory cannot be made (its parent is missing too)
    assert.equal(a.putObjectAnon!(join(dir, 'tmp'), join(dir, 'no', 'cd', 'obj'), Buffer.from('x'), false, 1), ENOENT)
    // no directory to make the unnamed file in
    assert.equal(a.putObjectAnon!(join(dir, 'missing'), join(dir, 'ab', 'obj'), Buffer.from('x'), false, 1), ENOENT)
    assert.deepEqual(readdirSync(join(dir, 'ab')), [])
    assert.throws(() => a.putObjectAnon!(join(dir, 'tmp'), '', Buffer.from('x'), false, 1), TypeError)
  })

  it('FsObjectStore gives blobs written in one piece objectMtime; streamed blobs and directories keep the time of writing', async () => {
    const store = await FsObjectStore.open(join(dir, 'store'), { objectMtime: 1 })
    const svc = await FsBlobService.open(store)
    const data = new TextEncoder().encode('Derive([])')
    const d = svc.putSync(data)!
    const p = join(dir, 'store', 'blobs', d.hex.slice(0, 2), d.hex)
    assert.equal(readFileSync(p, 'utf8'), 'Derive([])')
    assert.equal(statSync(p).mtimeMs, 1000)
    assert.equal(svc.rawPath(d), p)
    assert.equal(svc.putSync(data)!.hex, d.hex, 'again: kept')
    const e = await svc.put(new TextEncoder().encode('async'))
    assert.equal(statSync(join(dir, 'store', 'blobs', e.hex.slice(0, 2), e.hex)).mtimeMs, 1000)
    const w = store.writer('blob')
    await w.write(new TextEncoder().encode('streamed'))
    const f = B3Digest.adopt(blake3(new TextEncoder().encode('streamed')))
    await w.commit(f)
    assert.equal(readFileSync(store.path('blob', f), 'utf8'), 'streamed')
    assert.ok(statSync(store.path('blob', f)).mtimeMs > 1000)
    await store.put('dir', e, new TextEncoder().encode('a directory object'))
    assert.ok(statSync(store.path('dir', e)).mtimeMs > 1000)
    assert.deepEqual(readdirSync(join(dir, 'store', 'tmp')), [])
  })
})
