/**
 * The local store against C++ Nix 2.8 in both directions (issue 3, acceptance 2):
 *
 * - a store filled by tsnix (chroot store under a temp root: trees, a text file, a flat file, a
 *   `.drv` and an output with a deriver) is read by stock `nix-store --store local?root=…`: the
 *   same references, NAR hash, size, deriver, outputs, `nix path-info --json`, and a clean
 *   `--verify --check-contents`;
 * - a store filled by C++ Nix (`nix-store --add`, `--import` of an export, `nix-instantiate`) is
 *   served by tsnix: the same path info as `nix path-info --json`, derivation outputs,
 *   `narFromPath` equal to `nix-store --dump`, `exportPaths` equal to `nix-store --export`, and
 *   `tsnix store verify --check-contents` / `adopt` clean.
 *
 * Expected values come from the C++ tools run on the same inputs (a separate C++ store holding
 * the same paths, or the C++ store itself).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nullLogger } from '../../../src/logger.js'
import { collectBytes, dumpPath } from '../../../src/nar/index.js'
import { nativeAddon } from '../../../src/os/index.js'
import { loadSettings } from '../../../src/settings/index.js'
import { openLocalStore, type LocalStore, type OpContext } from '../../../src/store/index.js'
import { NixHash, type PathInfo, printContentAddress, StoreDir } from '../../../src/store-path/index.js'
import { nix28, skipBecause } from '../../support/env.js'
import { lines, nixOn } from '../../support/nix-store.js'
import { distRoot } from '../../support/paths.js'

const storeDir = new StoreDir()
const tsnixMain = join(distRoot, 'src', 'cli', 'main.js')

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

async function* bytes(b: Uint8Array | string): AsyncGenerator<Uint8Array> { yield typeof b === 'string' ? new TextEncoder().encode(b) : b }

/** `nix path-info --json` as objects keyed by path, without the registration time (ours is ours). */
function pathInfoJson(root: string, paths: readonly string[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>()
  for (const e of JSON.parse(nixOn(root, 'nix', ['path-info', '--json', ...paths])) as Array<Record<string, unknown>>) {
    const { registrationTime, ...rest } = e
    void registrationTime
    out.set(rest['path'] as string, rest)
  }
  return out
}

/** Our PathInfo in `nix path-info --json`'s shape (2.8: SRI hash, optional fields left out). */
function asJson(info: PathInfo): Record<string, unknown> {
  const o: Record<string, unknown> = {
    path: storeDir.print(info.path),
    narHash: info.narHash.format('sri'),
    narSize: info.narSize,
    references: info.references.map(r => storeDir.print(r)).sort(),
  }
  if (info.deriver) o['deriver'] = storeDir.print(info.deriver)
  if (info.ca) o['ca'] = printContentAddress(info.ca)
  if (info.ultimate) o['ultimate'] = true
  if (info.sigs.length > 0) o['signatures'] = [...info.sigs]
  return o
}

function tsnix(root: string, args: string[], input?: Uint8Array): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [tsnixMain, ...args], {
    env: { ...process.env, NIX_CONFIG: `store = local?root=${root}\nrequire-sigs = false` },
    maxBuffer: 1 << 28, ...(input ? { input } : {}),
  })
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString() }
}

describe('golden: local store vs C++ Nix 2.8', function () {
  this.timeout(300_000)
  let work: string
  let store: LocalStore
  let root: string

  before(async function () {
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (nix-store) is not installed')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
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
    // The same paths made by C++ in a separate store give the expected answers.
    const other = join(work, 'cpp-same')
    const dirs = [0, 1, 2].map(i => { const d = join(work, `t${i}`, 'tree'); mkdirSync(d, { recursive: true }); makeTree(d, i); return d })
    const infos: PathInfo[] = []
    for (const d of dirs) {
      infos.push(await store.addToStore(ctx, 'tree', { method: 'nar', algo: 'sha256' }, infos.slice(-1).map(i => i.path), dumpPath(d), false))
    }
    assert.equal(nixOn(other, 'nix-store', ['--add', dirs[0]!]).trim(), storeDir.print(infos[0]!.path), 'the same path as C++ --add')
    const text = await store.addToStore(ctx, 'note.txt', { method: 'text', algo: 'sha256' }, [infos[0]!.path], bytes('see ' + storeDir.print(infos[0]!.path)), false)
    const flat = await store.addToStore(ctx, 'file', { method: 'flat', algo: 'sha1' }, [], bytes(new Uint8Array([1, 2, 3])), false)

    // A derivation: C++ instantiates it in the other store; we add its text with its references.
    const nixFile = join(work, 'd.nix')
    writeFileSync(nixFile, `derivation { name = "d"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; src = builtins.storePath "${storeDir.print(infos[0]!.path)}"; }`)
    const drvPrinted = nixOn(other, 'nix-instantiate', [nixFile]).trim()
    const drvRefs = lines(nixOn(other, 'nix-store', ['-q', '--references', drvPrinted])).map(p => storeDir.parse(p))
    const drvText = spawnSync('cat', [join(other, drvPrinted)]).stdout
    const drv = await store.addToStore(ctx, 'd.drv', { method: 'text', algo: 'sha256' }, drvRefs, bytes(drvText), false)
    assert.equal(storeDir.print(drv.path), drvPrinted, 'the .drv gets the path C++ gave it')
    const outPrinted = nixOn(other, 'nix-store', ['-q', '--outputs', drvPrinted]).trim()
    // An output with a deriver, added as a NAR (as a build or a substitution would).
    const outNar = await collectBytes(dumpPath(dirs[2]!))
    const outInfo: PathInfo = {
      path: storeDir.parse(outPrinted), deriver: drv.path, narHash: NixHash.of('sha256', outNar), narSize: outNar.length,
      references: [infos[0]!.path], registrationTime: 0, ultimate: false, sigs: [], ca: undefined,
    }
    await store.addToStoreNar(ctx, outInfo, bytes(outNar), { repair: false, dontCheckSigs: true })

    const all = [...infos, text, flat, drv, outInfo]
    for (const info of all) {
      const p = storeDir.print(info.path)
      assert.equal(nixOn(root, 'nix-store', ['-q', '--hash', p]).trim(), info.narHash.format('nix32'))
      assert.equal(nixOn(root, 'nix-store', ['-q', '--size', p]).trim(), String(info.narSize))
      assert.deepEqual(lines(nixOn(root, 'nix-store', ['-q', '--references', p])).sort(), info.references.map(r => storeDir.print(r)).sort())
    }
    assert.equal(nixOn(root, 'nix-store', ['-q', '--deriver', outPrinted]).trim(), drvPrinted)
    assert.equal(nixOn(root, 'nix-store', ['-q', '--deriver', storeDir.print(infos[0]!.path)]).trim(), 'unknown-deriver')
    assert.equal(nixOn(root, 'nix-store', ['-q', '--outputs', drvPrinted]).trim(), outPrinted)
    // nix path-info --json (not of the .drv: 2.8 would take it as an installable to build).
    const printed = all.filter(i => !i.path.isDerivation()).map(i => storeDir.print(i.path))
    const fromCpp = pathInfoJson(root, printed)
    for (const info of all.filter(i => !i.path.isDerivation())) {
      const want = asJson((await store.queryPathInfo(info.path))!)
      assert.deepEqual(fromCpp.get(storeDir.print(info.path)), want, storeDir.print(info.path))
    }
    // The path C++ computed for the same tree has the same info in its own store.
    assert.deepEqual(pathInfoJson(other, [storeDir.print(infos[0]!.path)]).get(storeDir.print(infos[0]!.path)), fromCpp.get(storeDir.print(infos[0]!.path)))
    const verify = spawnSync('nix-store', ['--store', root, '--verify', '--check-contents'])
    assert.equal(verify.status, 0, verify.stderr.toString())
    assert.doesNotMatch(verify.stderr.toString(), /modified|disappeared|error/)
  })

  it('a store filled by nix-store 2.8 is served by tsnix', async () => {
    const d = join(work, 'from-cpp')
    mkdirSync(d)
    makeTree(d, 7)
    const added = nixOn(root, 'nix-store', ['--add', d]).trim()
    // An export made by C++ from another store, imported by C++ into ours: a tree, a .drv
    // (nix-instantiate) and the text file it names.
    const src = join(work, 'cpp-src')
    const s1 = join(work, 's1'); mkdirSync(s1); makeTree(s1, 11)
    const srcTree = nixOn(src, 'nix-store', ['--add', s1]).trim()
    const nixFile = join(work, 'e.nix')
    writeFileSync(nixFile, `derivation { name = "e"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; src = builtins.storePath "${srcTree}"; note = builtins.toFile "note" "hi"; }`)
    const drvPrinted = nixOn(src, 'nix-instantiate', [nixFile]).trim()
    const closure = lines(nixOn(src, 'nix-store', ['-qR', drvPrinted]))
    const exported = spawnSync('nix-store', ['--store', src, '--export', ...closure], { maxBuffer: 1 << 28 }).stdout
    const imported = lines(spawnSync('nix-store', ['--store', root, '--import'], { input: exported, maxBuffer: 1 << 28 }).stdout.toString())
    assert.deepEqual([...imported].sort(), [...closure].sort())
    // And a .drv instantiated straight into our store by C++.
    const ownDrv = nixOn(root, 'nix-instantiate', [nixFile]).trim()
    assert.equal(ownDrv, drvPrinted)

    const paths = [added, ...closure].filter((p, i, a) => a.indexOf(p) === i)
    const fromCpp = pathInfoJson(root, paths.filter(p => !p.endsWith('.drv')))
    for (const printed of paths) {
      const sp = storeDir.parse(printed)
      const info = await store.queryPathInfo(sp)
      assert.ok(info, `${printed} is valid for tsnix`)
      assert.equal(info.narHash.format('nix32'), nixOn(root, 'nix-store', ['-q', '--hash', printed]).trim())
      assert.equal(info.narSize, Number(nixOn(root, 'nix-store', ['-q', '--size', printed]).trim()))
      if (!printed.endsWith('.drv')) assert.deepEqual(asJson(info), fromCpp.get(printed), printed)
      const nar = await collectBytes(store.narFromPath(sp))
      const cppNar = spawnSync('nix-store', ['--store', root, '--dump', `${root}${printed}`], { maxBuffer: 1 << 28 }).stdout
      assert.ok(Buffer.from(nar).equals(cppNar), `${printed}: narFromPath equals nix-store --dump`)
    }
    // Derivation outputs as C++ registered them.
    const outputs = await store.queryDerivationOutputMap(storeDir.parse(drvPrinted))
    assert.deepEqual([...outputs.values()].map(p => p && storeDir.print(p)), [nixOn(root, 'nix-store', ['-q', '--outputs', drvPrinted]).trim()])
    // Our export of the closure is byte for byte C++'s.
    const ours = await collectBytes(store.exportPaths(closure.map(p => storeDir.parse(p))))
    assert.ok(Buffer.from(ours).equals(exported), 'exportPaths equals nix-store --export')
    // The CLI on the same store: adopt into castore, then verify contents.
    const adopt = tsnix(root, ['store', 'adopt'])
    assert.equal(adopt.status, 0, adopt.stderr)
    for (const p of paths) assert.ok(await store.castoreRoot(storeDir.parse(p)), `${p} adopted`)
    const verify = tsnix(root, ['store', 'verify', '--check-contents'])
    assert.equal(verify.status, 0, verify.stderr)
    assert.doesNotMatch(verify.stderr, /modified|disappeared|error/)
    // Adopting keeps the NAR identical.
    const sp = storeDir.parse(added)
    assert.ok(Buffer.from(await collectBytes(store.narFromPath(sp))).equals(spawnSync('nix-store', ['--store', root, '--dump', `${root}${added}`], { maxBuffer: 1 << 28 }).stdout))
  })

  it('exports that C++ imports, and imports C++ exports (tsnix store export / import)', async () => {
    // tsnix → C++: export the paths of the first test and import them into a fresh C++ store.
    const ours = await store.queryAllValidPaths()
    const exp = tsnix(root, ['store', 'export', ...ours.map(p => storeDir.print(p))])
    assert.equal(exp.status, 0, exp.stderr)
    const fresh = join(work, 'cpp-import')
    const imp = spawnSync('nix-store', ['--store', fresh, '--import'], { input: exp.stdout, maxBuffer: 1 << 28 })
    assert.equal(imp.status, 0, imp.stderr.toString())
    assert.deepEqual(lines(imp.stdout.toString()).sort(), ours.map(p => storeDir.print(p)).sort())
    const verify = spawnSync('nix-store', ['--store', fresh, '--verify', '--check-contents'])
    assert.equal(verify.status, 0, verify.stderr.toString())
    // C++ → tsnix: C++ exports from that store, tsnix imports into a fresh tsnix store.
    const cppExp = spawnSync('nix-store', ['--store', fresh, '--export', ...ours.map(p => storeDir.print(p))], { maxBuffer: 1 << 28 }).stdout
    assert.ok(cppExp.equals(exp.stdout), 'C++ re-exports exactly what we exported')
    const tsRoot = join(work, 'ts-import')
    const back = tsnix(tsRoot, ['store', 'import'], cppExp)
    assert.equal(back.status, 0, back.stderr)
    assert.deepEqual(lines(back.stdout.toString()), lines(imp.stdout.toString()), 'paths printed in stream order, as C++')
    const v2 = spawnSync('nix-store', ['--store', tsRoot, '--verify', '--check-contents'])
    assert.equal(v2.status, 0, v2.stderr.toString())
    // A corrupt export (the last path's magic) is refused and registers nothing.
    const bad = Buffer.from(cppExp); bad.writeUInt32LE(0x4558494f, bad.lastIndexOf(Buffer.from('NIXE', 'latin1')))
    const tsRoot2 = join(work, 'ts-import-bad')
    const r = tsnix(tsRoot2, ['store', 'import'], bad)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, /Nix archive cannot be imported; wrong format/)
    for (const p of ours) assert.notEqual(spawnSync('nix-store', ['--store', tsRoot2, '--check-validity', storeDir.print(p)]).status, 0, `${storeDir.print(p)} not registered`)
  })
})
