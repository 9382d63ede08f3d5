/**
 * The collector against a small fake store whose metadata is in memory and whose files are
 * real. Expected outcomes are worked out by hand from C++ Nix's algorithm (gc.cc): a path is
 * alive if its referrers closure reaches a root; dead paths go referrers-first.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeNix32, sha256, StoreDir, StorePath } from '../../store-path/index.js'
import { nativeAddon } from '../../os/index.js'
import { skipBecause } from '../../../test/support/env.js'
import { collectGarbage, deletePathCounting, findPermanentRoots, TempRoots, type GCStore } from './index.js'
import type { GCOptions } from '../types.js'

const storeDir = new StoreDir('/nix/store')
function sp(name: string): StorePath {
  return StorePath.fromParts(encodeNix32(sha256(name).subarray(0, 20)), name)
}

interface Entry { refs: StorePath[]; deriver?: StorePath; outputs?: Map<string, StorePath> }

class FakeStore implements GCStore {
  readonly storeDir = storeDir
  readonly valid = new Map<string, { path: StorePath } & Entry>()
  constructor(readonly realStoreDir: string, readonly stateDir: string) {}
  add(p: StorePath, e: Entry, bytes = 100): void {
    this.valid.set(p.baseName, { path: p, ...e })
    mkdirSync(join(this.realStoreDir, p.baseName))
    writeFileSync(join(this.realStoreDir, p.baseName, 'f'), Buffer.alloc(bytes))
  }
  async isValidPath(p: StorePath) { return this.valid.has(p.baseName) }
  async queryReferrers(p: StorePath) { return [...this.valid.values()].filter(v => v.refs.some(r => r.equals(p))).map(v => v.path) }
  async queryDeriver(p: StorePath) { return this.valid.get(p.baseName)?.deriver }
  async queryValidDerivers(p: StorePath) { const d = this.valid.get(p.baseName)?.deriver; return d && this.valid.has(d.baseName) ? [d] : [] }
  async queryPartialDerivationOutputMap(drv: StorePath) { return new Map<string, StorePath | undefined>(this.valid.get(drv.baseName)?.outputs ?? []) }
  async computeFSClosure(p: StorePath) {
    const seen = new Map<string, StorePath>()
    const go = (q: StorePath) => { if (seen.has(q.baseName)) return; seen.set(q.baseName, q); for (const r of this.valid.get(q.baseName)?.refs ?? []) go(r) }
    go(p)
    return [...seen.values()]
  }
  async topoSortPaths(paths: readonly StorePath[]) {
    const set = new Set(paths.map(p => p.baseName))
    const out: StorePath[] = []
    const done = new Set<string>()
    const visit = async (p: StorePath) => {
      if (done.has(p.baseName)) return
      done.add(p.baseName)
      for (const r of await this.queryReferrers(p)) if (set.has(r.baseName)) await visit(r)
      out.push(p)
    }
    for (const p of paths) await visit(p)
    return out
  }
  async invalidatePathChecked(p: StorePath) {
    const live = (await this.queryReferrers(p)).filter(r => !r.equals(p))
    if (live.length > 0) throw new Error(`cannot delete path '${p}' because it is in use by ${live.join(', ')}`)
    this.valid.delete(p.baseName)
  }
  async deleteEntry(baseName: string) { return deletePathCounting(join(this.realStoreDir, baseName)) }
}

describe('garbage collector (C++ Nix algorithm)', () => {
  let dir: string
  let store: FakeStore
  let temp: TempRoots
  const [A, B, C, D, E] = ['a', 'b', 'c', 'd', 'e'].map(sp) as [StorePath, StorePath, StorePath, StorePath, StorePath]
  const opts = (o: Partial<GCOptions>): GCOptions => ({ action: 'deleteDead', pathsToDelete: [], ignoreLiveness: false, maxFreed: (1n << 64n) - 1n, ...o })
  const names = (paths: readonly string[]) => paths.map(p => p.slice(p.indexOf('-') + 1)).sort()
  const settings = { keepOutputs: false, keepDerivations: true }

  beforeEach(function () {
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    dir = mkdtempSync(join(tmpdir(), 'tsnix-gc-'))
    store = new FakeStore(join(dir, 'store'), join(dir, 'state'))
    mkdirSync(store.realStoreDir)
    mkdirSync(join(store.stateDir, 'gcroots', 'auto'), { recursive: true })
    // A → B → C, E → C, D alone.
    store.add(C, { refs: [] })
    store.add(B, { refs: [C] })
    store.add(A, { refs: [B] })
    store.add(D, { refs: [] })
    store.add(E, { refs: [C] }, 5000)
    symlinkSync(storeDir.print(A), join(store.stateDir, 'gcroots', 'r'))
    temp = new TempRoots(store.stateDir, storeDir)
  })
  afterEach(async () => { await temp?.close(); if (dir) rmSync(dir, { recursive: true, force: true }) })

  it('reports live and dead paths: roots, their closure and temporary roots are alive', async () => {
    await temp.add('client-1', D)
    assert.deepEqual(names((await collectGarbage(store, temp, opts({ action: 'returnDead' }), settings)).paths), ['e'])
    assert.deepEqual(names((await collectGarbage(store, temp, opts({ action: 'returnLive' }), settings)).paths), ['a', 'b', 'c', 'd'])
  })

  it('deletes dead paths, files and metadata, counting the bytes freed', async () => {
    const r = await collectGarbage(store, temp, opts({}), settings)
    assert.deepEqual(names(r.paths), ['d', 'e'])
    assert.equal(r.bytesFreed, 5100n)
    assert.deepEqual([...store.valid.values()].map(v => v.path.name).sort(), ['a', 'b', 'c'])
    assert.deepEqual(readdirSync(store.realStoreDir).map(n => n.slice(33)).sort(), ['a', 'b', 'c'])
  })

  it('refuses to delete a specific path that is still alive, and deletes a dead one', async () => {
    await assert.rejects(collectGarbage(store, temp, opts({ action: 'deleteSpecific', pathsToDelete: [B] }), settings),
      /Cannot delete path '\/nix\/store\/[0-9a-z]{32}-b' since it is still alive/)
    const r = await collectGarbage(store, temp, opts({ action: 'deleteSpecific', pathsToDelete: [E] }), settings)
    assert.deepEqual(names(r.paths), ['e'])
    assert.ok(store.valid.has(D.baseName))
  })

  it('follows indirect roots in gcroots/auto and removes stale ones', async () => {
    const home = join(dir, 'home')
    mkdirSync(home)
    symlinkSync(storeDir.print(E), join(home, 'result'))
    symlinkSync(join(home, 'result'), join(store.stateDir, 'gcroots', 'auto', 'x'))
    symlinkSync(join(home, 'gone'), join(store.stateDir, 'gcroots', 'auto', 'stale'))
    const roots = await findPermanentRoots({ ...store, isValidPath: p => store.isValidPath(p) })
    assert.deepEqual([...roots.values()].map(r => [r.path.name, [...r.links]]).sort(),
      [['a', [join(store.stateDir, 'gcroots', 'r')]], ['e', [join(home, 'result')]]])
    assert.equal(existsSync(join(store.stateDir, 'gcroots', 'auto', 'stale')), false)
    assert.deepEqual(names((await collectGarbage(store, temp, opts({ action: 'returnDead' }), settings)).paths), ['d'])
  })

  it('serves a collector waiting for gc.lock before one that keeps taking it again (one process)', async () => {
    // polling flock waiters used to lose every race against a client sending GC after GC
    let finished = 0
    const loop = (async () => {
      for (let i = 0; i < 20; i++) {
        await collectGarbage(store, temp, opts({ action: 'returnDead' }), settings)
        finished++
      }
    })()
    while (!existsSync(join(store.stateDir, 'gc-socket', 'socket'))) await new Promise(r => setImmediate(r))
    let waited = false
    await collectGarbage(store, temp, opts({ action: 'returnDead' }), { ...settings, info: m => { if (/waiting for the big/.test(m)) waited = true } })
    const finishedBefore = finished
    await loop
    assert.ok(waited, 'the second collector had to wait')
    assert.ok(finishedBefore <= 1, `served after ${finishedBefore} of the looping collector's runs`)
  })

  it('stops after max-freed bytes', async () => {
    const r = await collectGarbage(store, temp, opts({ maxFreed: 1n }), settings)
    assert.equal(r.paths.length, 1) // the first deletion already exceeds 1 byte
  })

  it('keeps a derivation whose output is alive when keep-derivations is set', async () => {
    const drv = sp('o.drv')
    const out = sp('o')
    store.add(drv, { refs: [], outputs: new Map([['out', out]]) })
    store.add(out, { refs: [], deriver: drv })
    symlinkSync(storeDir.print(out), join(store.stateDir, 'gcroots', 'o'))
    assert.deepEqual(names((await collectGarbage(store, temp, opts({ action: 'returnDead' }), settings)).paths), ['d', 'e'])
    assert.deepEqual(names((await collectGarbage(store, temp, opts({ action: 'returnDead' }), { keepOutputs: false, keepDerivations: false })).paths), ['d', 'e', 'o.drv'])
  })
})
