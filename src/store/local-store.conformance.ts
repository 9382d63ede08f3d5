/**
 * The store-level conformance suite: one set of specs for `LocalStore`, run against every
 * metadata backend (SQLite in the state directory, PostgreSQL) by local-store.test.ts. It
 * covers what the facade adds on top of pathinfo and castore: adding (NAR, flat, text, with
 * references), materialisation with Nix's metadata, bad input leaving the store unchanged,
 * concurrent adds of one path, queries, NAR out, export/import, GC with roots and temp roots,
 * verify and repair, and the cleanup of a crashed writer's leftovers.
 *
 * Expected paths come from `makeFixedOutputPath`/`makeTextPath` (pinned against C++ Nix in the
 * store-path goldens) and NAR hashes from the NAR encoder (pinned against `nix-store --dump`);
 * the rest is worked out by hand from C++ `LocalStore`'s behaviour.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nullLogger } from '../logger.js'
import { collectBytes, encodeNarTree, narDirectory, narFile, narSymlink } from '../nar/index.js'
import { encodeNix32, makeFixedOutputPath, makeTextPath, NixHash, type PathInfo, sha256, StoreDir, StorePath } from '../store-path/index.js'
import { WireWriter } from '../wire/index.js'
import { HashMismatchError, type LocalStore, type OpContext } from './index.js'

export interface StoreBackend {
  readonly name: string
  /** A fresh, empty store rooted at `root` (a chroot store); a string is a reason to skip. */
  open(root: string): Promise<LocalStore | string>
  /** Open the same store again (another instance on the same root and database). */
  reopen(root: string): Promise<LocalStore>
}

const storeDir = new StoreDir()
const enc = new TextEncoder()

export const testContext = (clientId = 'test'): OpContext => ({
  trusted: true,
  logger: nullLogger,
  clientId,
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
})

async function* bytes(b: Uint8Array | string): AsyncGenerator<Uint8Array> { yield typeof b === 'string' ? enc.encode(b) : b }
async function* pieces(b: Uint8Array, n: number): AsyncGenerator<Uint8Array> { for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n) }

function treeNar(seed: number): Uint8Array {
  return encodeNarTree(narDirectory({
    'a.txt': narFile(`hello ${seed}\n`),
    bin: narDirectory({ run: narFile('#!/bin/sh\necho hi\n', true) }),
    big: narFile(new Uint8Array(1536 * 1024).fill(seed)),
    link: narSymlink('a.txt'),
    empty: narDirectory(),
  }))
}

function narInfo(path: StorePath, nar: Uint8Array, over: Partial<PathInfo> = {}): PathInfo {
  return { path, deriver: undefined, narHash: NixHash.of('sha256', nar), narSize: nar.length, references: [], registrationTime: 0, ultimate: false, sigs: [], ca: undefined, ...over }
}

/** An input-addressed path for `name` (any 20-byte hash part makes a valid path). */
function ia(name: string): StorePath { return StorePath.fromParts(encodeNix32(sha256('conformance:' + name).subarray(0, 20)), name) }

/** Every file and directory of a materialised tree: Nix's canonical modes and mtime 1. */
function assertCanonical(p: string): void {
  const st = lstatSync(p)
  if (!st.isSymbolicLink()) {
    assert.equal(st.mtimeMs, 1000, `${p}: mtime`)
    const mode = st.mode & 0o7777
    if (st.isDirectory()) assert.equal(mode, 0o555, `${p}: mode`)
    else assert.ok(mode === 0o444 || mode === 0o555, `${p}: mode ${mode.toString(8)}`)
  }
  if (st.isDirectory()) for (const n of readdirSync(p)) assertCanonical(join(p, n))
}

export function localStoreConformance(backend: StoreBackend, scratch: () => string): void {
  describe(`LocalStore conformance: ${backend.name}`, function () {
    this.timeout(120_000)
    let store: LocalStore
    let root: string
    const ctx = testContext()
    const stores: LocalStore[] = []

    beforeEach(async function () {
      root = scratch()
      const s = await backend.open(root)
      if (typeof s === 'string') this.skip()
      store = s as LocalStore
      stores.push(store)
    })
    afterEach(async () => { for (const s of stores.splice(0)) await s.close() })

    it('adds a NAR, flat and text path at the paths C++ computes, materialised with canonical metadata', async () => {
      const nar = treeNar(1)
      const a = await store.addToStore(ctx, 'tree', { method: 'nar', algo: 'sha256' }, [], pieces(nar, 1000), false)
      assert.ok(a.path.equals(makeFixedOutputPath(storeDir, 'tree', 'nar', NixHash.of('sha256', nar), [])))
      assert.ok(a.narHash.equals(NixHash.of('sha256', nar)))
      assert.equal(a.narSize, nar.length)
      const f = await store.addToStore(ctx, 'blob', { method: 'flat', algo: 'sha1' }, [], bytes('xyz'), false)
      assert.ok(f.path.equals(makeFixedOutputPath(storeDir, 'blob', 'flat', NixHash.of('sha1', 'xyz'), [])))
      const t = await store.addToStore(ctx, 'note', { method: 'text', algo: 'sha256' }, [a.path], bytes('see ' + storeDir.print(a.path)), false)
      assert.ok(t.path.equals(makeTextPath(storeDir, 'note', NixHash.of('sha256', 'see ' + storeDir.print(a.path)), [a.path])))
      for (const info of [a, f, t]) {
        assert.ok(await store.isValidPath(info.path))
        assert.ok(await store.castoreRoot(info.path), 'castore root recorded')
        assertCanonical(store.realPath(info.path))
        const out = await collectBytes(store.narFromPath(info.path))
        assert.ok(NixHash.of('sha256', out).equals(info.narHash), 'NAR out = NAR in')
      }
      assert.equal(readFileSync(join(store.realPath(a.path), 'a.txt'), 'utf8'), 'hello 1\n')
      assert.deepEqual(await store.queryReferrers(a.path), [t.path])
      assert.ok((await store.queryPathFromHashPart(a.path.hashPart))?.equals(a.path))
      // Adding the same contents again is a no-op that returns the same info.
      const again = await store.addToStore(ctx, 'tree', { method: 'nar', algo: 'sha256' }, [], bytes(nar), false)
      assert.equal(again.registrationTime, a.registrationTime)
    })

    it('refuses a NAR whose hash, size or references are wrong, and changes nothing', async () => {
      const nar = treeNar(2)
      const p = ia('bad')
      await assert.rejects(store.addToStoreNar(ctx, narInfo(p, nar, { narHash: NixHash.of('sha256', 'other') }), bytes(nar), { repair: false, dontCheckSigs: true }), HashMismatchError)
      await assert.rejects(store.addToStoreNar(ctx, narInfo(p, nar, { narSize: nar.length + 8 }), bytes(nar), { repair: false, dontCheckSigs: true }), HashMismatchError)
      await assert.rejects(store.addToStoreNar(ctx, narInfo(p, nar, { references: [ia('unknown')] }), bytes(nar), { repair: false, dontCheckSigs: true }), /is not valid/)
      await assert.rejects(store.addToStoreNar(ctx, narInfo(p, nar), bytes(nar.subarray(0, nar.length - 16)), { repair: false, dontCheckSigs: true }))
      assert.equal(await store.isValidPath(p), false)
      assert.deepEqual(await store.queryAllValidPaths(), [])
      // A leftover materialised copy may remain under the final name, but it is invalid and
      // complete; a correct add replaces it.
      await store.addToStoreNar(ctx, narInfo(p, nar), bytes(nar), { repair: false, dontCheckSigs: true })
      assert.ok(await store.isValidPath(p))
    })

    it('serialises concurrent adds of one path, and commits different paths together', async () => {
      const nar = treeNar(3)
      const p = ia('same')
      await Promise.all(Array.from({ length: 8 }, () => store.addToStoreNar(ctx, narInfo(p, nar), pieces(nar, 4096), { repair: false, dontCheckSigs: true })))
      assert.deepEqual((await store.queryAllValidPaths()).map(x => x.baseName), [p.baseName])
      const many = await Promise.all(Array.from({ length: 30 }, (_, i) => store.addToStore(ctx, `f${i}`, { method: 'flat', algo: 'sha256' }, [], bytes(`file ${i}`), false)))
      for (const m of many) assert.ok(await store.isValidPath(m.path))
      assert.equal((await store.queryAllValidPaths()).length, 31)
    })

    it('registers a derivation with its outputs, and a deriver', async () => {
      const src = await store.addToStore(ctx, 'src', { method: 'flat', algo: 'sha256' }, [], bytes('source'), false)
      const out = ia('hello')
      const drvText = `Derive([("out","${storeDir.print(out)}","","")],[],["${storeDir.print(src.path)}"],"x86_64-linux","/bin/sh",["-c","echo"],[("out","${storeDir.print(out)}")])`
      const drv = await store.addToStore(ctx, 'hello.drv', { method: 'text', algo: 'sha256' }, [src.path], bytes(drvText), false)
      const map = await store.queryDerivationOutputMap(drv.path)
      assert.deepEqual([...map].map(([k, v]) => [k, v?.baseName]), [['out', out.baseName]])
      const nar = encodeNarTree(narFile('built'))
      await store.addToStoreNar(ctx, narInfo(out, nar, { deriver: drv.path }), bytes(nar), { repair: false, dontCheckSigs: true })
      assert.ok((await store.queryPathInfo(out))?.deriver?.equals(drv.path))
      assert.deepEqual((await store.queryValidDerivers(out)).map(p => p.baseName), [drv.path.baseName])
    })

    it('adds text paths in a batch as addToStore adds them one by one (paths, NARs, references, derivation outputs)', async () => {
      const src = await store.addToStore(ctx, 'src', { method: 'flat', algo: 'sha256' }, [], bytes('source'), false)
      const out = ia('batched')
      const drvText = `Derive([("out","${storeDir.print(out)}","","")],[],["${storeDir.print(src.path)}"],"x86_64-linux","/bin/sh",[],[("out","${storeDir.print(out)}")])`
      const note = (i: number): string => `note ${i} ${storeDir.print(src.path)}`
      const items = [
        { name: 'a.drv', text: enc.encode(drvText), references: [src.path] },
        ...Array.from({ length: 20 }, (_, i) => ({ name: `n${i}`, text: enc.encode(note(i)), references: [src.path] })),
      ]
      // an item referring to an earlier one of the same batch, and a repeated item
      const aPath = makeTextPath(storeDir, 'a.drv', NixHash.of('sha256', drvText), [src.path])
      items.push({ name: 'uses-a', text: enc.encode(storeDir.print(aPath)), references: [aPath] })
      items.push(items[1]!)
      const paths = await store.addTextsToStore(ctx, items)
      assert.deepEqual(paths.map(p => p.baseName), items.map(it => makeTextPath(storeDir, it.name, NixHash.of('sha256', it.text), it.references).baseName))
      // the other store, one path at a time, is the reference
      const other = await backend.open(scratch())
      if (typeof other === 'string') throw new Error(other)
      stores.push(other)
      await other.addToStore(ctx, 'src', { method: 'flat', algo: 'sha256' }, [], bytes('source'), false)
      for (const it of items) {
        const want = await other.addToStore(ctx, it.name, { method: 'text', algo: 'sha256' }, it.references, bytes(it.text), false)
        const got = (await store.queryPathInfo(want.path))!
        assert.ok(got, `${it.name} valid`)
        assert.ok(got.narHash.equals(want.narHash))
        assert.equal(got.narSize, want.narSize)
        assert.deepEqual(got.references.map(r => r.baseName), want.references.map(r => r.baseName))
        assert.ok(got.ca?.method === 'text' && got.ca.hash.equals(want.ca!.hash))
        assert.ok(await store.castoreRoot(want.path), 'castore root recorded')
        assertCanonical(store.realPath(want.path))
        assert.ok(NixHash.of('sha256', await collectBytes(store.narFromPath(want.path))).equals(want.narHash), 'NAR out = NAR in')
      }
      assert.deepEqual([...await store.queryDerivationOutputMap(aPath)].map(([k, v]) => [k, v?.baseName]), [['out', out.baseName]])
      // adding them again changes nothing
      const before = (await store.queryPathInfo(aPath))!.registrationTime
      await store.addTextsToStore(ctx, items)
      assert.equal((await store.queryPathInfo(aPath))!.registrationTime, before)
      await assert.rejects(store.addTextsToStore(ctx, [{ name: 'dangling', text: enc.encode('x'), references: [ia('unknown')] }]), /is not valid|missing|reference/)
    })

    it('exports and imports (Nix export format), referenced paths first', async () => {
      const a = await store.addToStore(ctx, 'a', { method: 'nar', algo: 'sha256' }, [], bytes(treeNar(4)), false)
      const bNar = encodeNarTree(narFile('b refers to ' + storeDir.print(a.path)))
      const b = ia('b')
      await store.addToStoreNar(ctx, narInfo(b, bNar, { references: [a.path] }), bytes(bNar), { repair: false, dontCheckSigs: true })
      const exported = await collectBytes(store.exportPaths([b, a.path]))
      const other = await backend.open(scratch())
      assert.ok(typeof other !== 'string')
      stores.push(other)
      const paths = await other.importPaths(ctx, pieces(exported, 777))
      assert.deepEqual(paths.map(p => p.baseName), [a.path.baseName, b.baseName])
      for (const p of paths) {
        const mine: PathInfo = (await store.queryPathInfo(p))!
        const theirs: PathInfo = (await other.queryPathInfo(p))!
        assert.ok(mine.narHash.equals(theirs.narHash))
        assert.deepEqual(theirs.references.map((r: StorePath) => r.baseName), mine.references.map((r: StorePath) => r.baseName))
      }
      assert.equal(await other.verifyStore(ctx, true, false), false)
      // Importing again skips what is valid.
      assert.equal((await other.importPaths(ctx, bytes(exported))).length, 2)
    })

    it('exports each kind of path as its NAR, and refuses a path whose materialised copy changed', async () => {
      // Single files (plain, executable, empty, one just over the size read in one call) take
      // another way out than trees and symlinks; the stream is the same format throughout.
      const nars: Record<string, Uint8Array> = {
        plain: encodeNarTree(narFile('plain\n')),
        exe: encodeNarTree(narFile('#!/bin/sh\n', true)),
        empty: encodeNarTree(narFile('')),
        edge: encodeNarTree(narFile(new Uint8Array(64 * 1024).fill(1))),
        over: encodeNarTree(narFile(new Uint8Array(64 * 1024 + 1).fill(2))),
        link: encodeNarTree(narSymlink('plain')),
        tree: treeNar(6),
      }
      const paths = new Map<string, StorePath>()
      for (const [name, nar] of Object.entries(nars)) {
        paths.set(name, ia(name))
        await store.addToStoreNar(ctx, narInfo(ia(name), nar), bytes(nar), { repair: false, dontCheckSigs: true })
      }
      // By hand: per path (no references: in path order) u64 1, the NAR, "NIXE", the path, no
      // references, no deriver, no signature; u64 0 at the end.
      const w = new WireWriter(1024)
      const byPath = [...paths].sort(([, a], [, b]) => (a.baseName < b.baseName ? -1 : 1))
      for (const [name, p] of byPath) w.u64(1).raw(nars[name]!).u64(0x4558494e).string(storeDir.print(p)).u64(0).string('').u64(0)
      w.u64(0)
      assert.ok(Buffer.from(await collectBytes(store.exportPaths([...paths.values()]))).equals(w.finish()))
      // A changed file (replaced: materialised files may share their inode with castore).
      const refused = async (name: string, file: string, now: string): Promise<void> => {
        const p = paths.get(name)!
        chmodSync(store.realPath(p), 0o755)
        unlinkSync(join(store.realPath(p), file))
        writeFileSync(join(store.realPath(p), file), 'changed\n')
        const msg = `hash of path '${storeDir.print(p)}' has changed from '${NixHash.of('sha256', nars[name]!).format('nix32', true)}' to '${now}`
        await assert.rejects(collectBytes(store.exportPaths([p])), (e: Error) => e.message.startsWith(msg))
      }
      await refused('tree', 'a.txt', 'sha256:')
      await refused('plain', '', `${NixHash.of('sha256', encodeNarTree(narFile('changed\n'))).format('nix32', true)}'!`)
    })

    it('collects garbage: dead paths go (database, files, castore), roots and temp roots stay', async () => {
      const keep = await store.addToStore(ctx, 'keep', { method: 'flat', algo: 'sha256' }, [], bytes('keep'), false)
      const dep = await store.addToStore(ctx, 'dep', { method: 'flat', algo: 'sha256' }, [], bytes('dep'), false)
      const user = await store.addToStore(ctx, 'user', { method: 'text', algo: 'sha256' }, [dep.path], bytes('uses ' + storeDir.print(dep.path)), false)
      const dead = await store.addToStore(ctx, 'dead', { method: 'nar', algo: 'sha256' }, [], bytes(treeNar(5)), false)
      const temp = await store.addToStore(testContext('other-client'), 'temp', { method: 'flat', algo: 'sha256' }, [], bytes('temp'), false)
      await store.releaseClient(ctx.clientId) // our own temp roots go; other-client's stay
      await store.addPermRoot(ctx, keep.path, join(root, 'keep-root'))
      await store.addPermRoot(ctx, user.path, join(root, 'user-root'))
      const r = await store.collectGarbage(ctx, { action: 'deleteDead', pathsToDelete: [], ignoreLiveness: false, maxFreed: (1n << 64n) - 1n })
      assert.deepEqual(r.paths, [storeDir.print(dead.path)])
      assert.ok(r.bytesFreed > 0n)
      for (const p of [keep, dep, user, temp]) assert.ok(await store.isValidPath(p.path), p.path.baseName)
      assert.equal(await store.isValidPath(dead.path), false)
      assert.equal(existsSync(store.realPath(dead.path)), false)
      await store.releaseClient('other-client')
      const r2 = await store.collectGarbage(ctx, { action: 'deleteDead', pathsToDelete: [], ignoreLiveness: false, maxFreed: (1n << 64n) - 1n })
      assert.deepEqual(r2.paths, [storeDir.print(temp.path)])
    })

    it('verifies contents, and repairs a modified or missing path from castore', async () => {
      const a = await store.addToStore(ctx, 'tree', { method: 'nar', algo: 'sha256' }, [], bytes(treeNar(6)), false)
      const lone = await store.addToStore(ctx, 'lone', { method: 'flat', algo: 'sha256' }, [], bytes('lone'), false)
      assert.equal(await store.verifyStore(ctx, true, false), false)
      // Replace a file the way only root can (the store is read-only), then check and repair.
      // (Replaced, not written in place: a materialised file shares its inode with castore's
      // blob, so an in-place edit damages both, and repair then refuses; see the README.)
      const f = join(store.realPath(a.path), 'a.txt')
      chmodSync(store.realPath(a.path), 0o755)
      unlinkSync(f)
      writeFileSync(f, 'tampered\n')
      assert.equal(await store.verifyStore(ctx, true, false), true)
      assert.equal(await store.verifyStore(ctx, true, true), false)
      assert.equal(readFileSync(f, 'utf8'), 'hello 6\n')
      assertCanonical(store.realPath(a.path))
      assert.equal(await store.verifyStore(ctx, true, false), false)
      // A missing path without referrers is invalidated (C++: "disappeared, removing from database").
      const { rmSync } = await import('node:fs')
      chmodSync(store.realPath(lone.path), 0o644)
      rmSync(store.realPath(lone.path))
      assert.equal(await store.verifyStore(ctx, false, false), false)
      assert.equal(await store.isValidPath(lone.path), false)
    })

    it('sees paths another instance on the same database adds, and cleans a crashed writer\'s leftovers at open', async () => {
      const second = await backend.reopen(root)
      stores.push(second)
      const x = await second.addToStore(ctx, 'x', { method: 'flat', algo: 'sha256' }, [], bytes('from the second instance'), false)
      assert.ok(await store.isValidPath(x.path))
      assert.ok((await store.queryPathInfo(x.path))?.narHash.equals(x.narHash))
      // Leftovers as a crash would leave them: a half-materialised hidden tree and a castore temp file.
      const hidden = join(store.realStoreDir, `.${ia('half').baseName}.tmp-0123456789ab`)
      mkdirSync(join(hidden, 'sub'), { recursive: true })
      writeFileSync(join(hidden, 'sub', 'f'), 'partial')
      symlinkSync('x', join(hidden, 'l'))
      const castoreTmp = join(root, 'nix', 'var', 'nix', 'castore', 'tmp', '999999999-00112233')
      writeFileSync(castoreTmp, 'partial object')
      const third = await backend.reopen(root)
      stores.push(third)
      assert.equal(existsSync(hidden), false, 'hidden temporary tree removed')
      assert.equal(existsSync(castoreTmp), false, 'castore temp file of a dead process removed')
      assert.ok(await third.isValidPath(x.path))
    })
  })
}
