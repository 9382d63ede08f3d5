/**
 * C++ Nix 2.8 and tsnix on the same `db.sqlite`, in both directions.
 *
 * A store built by C++ Nix (a multi-output derivation with a self-reference and a reference to
 * a `toFile` text path, content-addressed derivations with realisations, a `--add`ed
 * directory, signatures) is read by tsnix, and every answer is compared with what C++ Nix
 * itself says about its store (`nix path-info --json`, `nix realisation info --json`,
 * `nix-store -q …`). Then tsnix writes those paths into a fresh database beside a copy of the
 * store files, and C++ Nix must give the same answers from tsnix's database, verify it clean,
 * and keep working on it (add, delete).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlitePathInfoService } from '../../../src/pathinfo/index.js'
import type { SqlPathInfoService } from '../../../src/pathinfo/sql-path-info-service.js'
import { type DrvOutput, NixHash, type PathInfo, parseDrvOutput, printContentAddress, printDrvOutput, type Realisation, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { isRoot, nix28, skipBecause } from '../../support/env.js'
import { lines, nixOn, nixOnStatus, realStoreDirOf, SANDBOX_PATHS, stateDirOf } from '../../support/nix-store.js'

const storeDir = new StoreDir('/nix/store')

const MULTI_NIX = `
let dep = builtins.toFile "dep.txt" "hello from a text file";
in derivation {
  name = "multi";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "mkdir $out; echo $out > $out/self; echo \${dep} > $out/dep; echo $out > $dev" ];
  outputs = [ "out" "dev" ];
  PATH = "/bin:/usr/bin";
}`

const CA_NIX = `
let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    __contentAddressed = true;
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    PATH = "/bin:/usr/bin";
  };
  dep = mk "cadep" "echo dep > $out";
in mk "catop" "echo \${dep} > $out"`

/** `nix path-info --json` of Nix 2.8, one object per path. */
type PathInfoJson = Record<string, unknown> & { path: string }

/** What Nix 2.8's `nix path-info --json` prints for a PathInfo (only the keys it prints). */
function toNixJson(info: PathInfo): PathInfoJson {
  const o: PathInfoJson = {
    path: storeDir.print(info.path),
    narHash: info.narHash.toSRI(),
    narSize: info.narSize,
    references: info.references.map(r => storeDir.print(r)).sort(),
  }
  if (info.ca) o['ca'] = printContentAddress(info.ca)
  if (info.deriver) o['deriver'] = storeDir.print(info.deriver)
  if (info.registrationTime) o['registrationTime'] = info.registrationTime
  if (info.ultimate) o['ultimate'] = true
  if (info.sigs.length) o['signatures'] = [...info.sigs]
  return o
}

/** What `nix realisation info --json` prints for one realisation. */
function realisationJson(r: Realisation): Record<string, unknown> {
  return {
    id: printDrvOutput(r.id),
    outPath: r.outPath.baseName,
    signatures: [...r.signatures],
    dependentRealisations: Object.fromEntries([...r.dependentRealisations].map(([k, v]) => [k, v.baseName])),
  }
}

function pathInfoJson(root: string): PathInfoJson[] {
  const all = JSON.parse(nixOn(root, 'nix', ['path-info', '--json', '--all'])) as PathInfoJson[]
  return all.sort((a, b) => (a.path < b.path ? -1 : 1))
}

function realisationInfo(root: string, drv: string): Array<Record<string, unknown>> {
  return JSON.parse(nixOn(root, 'nix', ['realisation', 'info', '--json', drv])) as Array<Record<string, unknown>>
}

/** What C++ answers about the graph: referrers, derivers, closures with outputs. */
function graphViews(root: string, paths: readonly string[], drvs: readonly string[]): Record<string, string[]> {
  const v: Record<string, string[]> = {}
  // One invocation answers these for all paths, in argument order.
  for (const q of ['--hash', '--size', '--deriver']) v[q] = lines(nixOn(root, 'nix-store', ['-q', q, ...paths]))
  for (const p of paths) {
    v[`referrers ${p}`] = lines(nixOn(root, 'nix-store', ['-q', '--referrers', p])).sort()
    v[`references ${p}`] = lines(nixOn(root, 'nix-store', ['-q', '--references', p])).sort()
  }
  for (const d of drvs) v[`requisites+outputs ${d}`] = lines(nixOn(root, 'nix-store', ['-qR', '--include-outputs', d])).sort()
  return v
}

async function allInfos(svc: SqlPathInfoService): Promise<PathInfo[]> {
  const out: PathInfo[] = []
  for await (const i of svc.iteratePathInfos()) out.push(i)
  return out
}

describe('pathinfo golden: C++ Nix 2.8 and tsnix share db.sqlite', function () {
  this.timeout(180_000)
  let work: string
  let r1: string
  let multiDrv: string
  let caDrv: string
  let outPath: string
  let json1: PathInfoJson[]
  const open: SqlPathInfoService[] = []
  const openSvc = async (root: string): Promise<SqlPathInfoService> => {
    const s = await openSqlitePathInfoService({ stateDir: stateDirOf(root), storeDir })
    open.push(s)
    return s
  }
  const closeAll = async (): Promise<void> => { for (const s of open.splice(0)) await s.close() }

  before(function () {
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (nix-store, nix-instantiate) is not installed')
    if (!isRoot) skipBecause(this, 'C++ Nix builds into a chroot store only inside its sandbox, which needs root')
    work = mkdtempSync(join(tmpdir(), 'tsnix-golden-pathinfo-'))
    r1 = join(work, 'r1')
    writeFileSync(join(work, 'multi.nix'), MULTI_NIX)
    writeFileSync(join(work, 'ca.nix'), CA_NIX)
    multiDrv = nixOn(r1, 'nix-instantiate', [join(work, 'multi.nix')]).trim()
    const outs = lines(nixOn(r1, 'nix-store', [...SANDBOX_PATHS, '--realise', multiDrv]))
    outPath = outs.find(o => o.endsWith('-multi'))!
    caDrv = nixOn(r1, 'nix-instantiate', [join(work, 'ca.nix')]).trim()
    nixOn(r1, 'nix-store', [...SANDBOX_PATHS, '--realise', caDrv])
    const tree = join(work, 'tree')
    mkdirSync(join(tree, 'bin'), { recursive: true })
    writeFileSync(join(tree, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 })
    writeFileSync(join(tree, 'README'), 'a directory added with nix-store --add\n')
    symlinkSync('bin/tool', join(tree, 'link'))
    nixOn(r1, 'nix-store', ['--add', tree])
    execFileSync('nix-store', ['--generate-binary-cache-key', 'tsnix-test-1', join(work, 'sk'), join(work, 'pk')])
    nixOn(r1, 'nix', ['store', 'sign', '--key-file', join(work, 'sk'), '-r', outPath])
    json1 = pathInfoJson(r1)
  })

  afterEach(closeAll)
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  it('reads every field C++ Nix wrote, for every path', async () => {
    const svc = await openSvc(r1)
    assert.ok(json1.length >= 9, `expected the fixture store to have at least 9 paths, got ${json1.length}`)
    assert.ok(json1.some(j => j['signatures']), 'fixture has signatures')
    assert.ok(json1.some(j => j['ultimate']), 'fixture has locally built paths')
    const ours = (await allInfos(svc)).map(toNixJson).sort((a, b) => (a.path < b.path ? -1 : 1))
    assert.deepEqual(ours, json1)
    for (const j of json1) {
      const p = storeDir.parse(j.path)
      assert.deepEqual(toNixJson((await svc.queryPathInfo(p))!), j)
      assert.equal((await svc.queryPathFromHashPart(p.hashPart))?.baseName, p.baseName)
    }
  })

  it('answers referrers, derivers, derivation outputs and closures as C++ Nix does', async () => {
    const svc = await openSvc(r1)
    const paths = json1.map(j => j.path)
    for (const p of paths) {
      const sp = storeDir.parse(p)
      assert.deepEqual((await svc.queryReferrers(sp)).map(x => storeDir.print(x)), lines(nixOn(r1, 'nix-store', ['-q', '--referrers', p])).sort(), `referrers of ${p}`)
      // (nix-store passes --include-outputs to --requisites only, so the flipped closure with
      // outputs has no CLI oracle; the conformance suite covers it from computeFSClosure's source.)
      const flipped = await svc.computeClosure([sp], { flipDirection: true })
      assert.deepEqual(flipped.map(x => storeDir.print(x)), lines(nixOn(r1, 'nix-store', ['-q', '--referrers-closure', p])).sort(), `referrers closure of ${p}`)
    }
    const drv = storeDir.parse(multiDrv)
    const outputs = await svc.queryDerivationOutputs(drv)
    assert.deepEqual([...outputs.values()].map(x => storeDir.print(x)).sort(), lines(nixOn(r1, 'nix-store', ['-q', '--outputs', multiDrv])).sort())
    assert.deepEqual((await svc.computeClosure([drv], { includeOutputs: true })).map(x => storeDir.print(x)),
      lines(nixOn(r1, 'nix-store', ['-qR', '--include-outputs', multiDrv])).sort())
    assert.deepEqual((await svc.computeClosure([storeDir.parse(outPath)])).map(x => storeDir.print(x)),
      lines(nixOn(r1, 'nix-store', ['-qR', outPath])).sort())
    assert.deepEqual((await svc.queryValidDerivers(storeDir.parse(outPath))).map(x => storeDir.print(x)), [multiDrv])
  })

  it('reads the realisations of content-addressed derivations', async () => {
    const svc = await openSvc(r1)
    const expected = realisationInfo(r1, caDrv)
    assert.ok(expected.length > 0)
    for (const e of expected) {
      const r = await svc.queryRealisation(parseDrvOutput(e['id'] as string))
      assert.ok(r, `realisation ${String(e['id'])}`)
      assert.deepEqual(realisationJson(r), e)
    }
  })

  it('leaves the database usable by C++ Nix after tsnix opened it', async () => {
    const svc = await openSvc(r1)
    await closeAll()
    void svc
    assert.deepEqual(pathInfoJson(r1), json1)
    const v = nixOnStatus(r1, 'nix-store', ['--verify', '--check-contents'])
    assert.equal(v.status, 0, v.stderr)
    assert.doesNotMatch(v.stderr, /error|modified|disappeared/)
    // C++ Nix can still write, and tsnix sees what it wrote.
    const f = join(work, 'later.txt')
    writeFileSync(f, 'added after tsnix opened the store\n')
    const added = nixOn(r1, 'nix-store', ['--add', f]).trim()
    const again = await openSvc(r1)
    const info = await again.queryPathInfo(storeDir.parse(added))
    assert.deepEqual(toNixJson(info!), pathInfoJson(r1).find(j => j.path === added))
  })

  it('writes a database C++ Nix reads identically, verifies, and keeps working on', async () => {
    const src = await openSvc(r1)
    const infos = await allInfos(src)
    const r2 = join(work, 'r2')
    mkdirSync(realStoreDirOf(r2), { recursive: true })
    execFileSync('cp', ['-a', realStoreDirOf(r1) + '/.', realStoreDirOf(r2)])
    const dst = await openSvc(r2)
    const regs = await Promise.all(infos.map(async info => ({
      info,
      derivationOutputs: info.path.isDerivation() ? await src.queryDerivationOutputs(info.path) : undefined,
      castoreRoot: new TextEncoder().encode(`root of ${info.path.baseName}`),
    })))
    await dst.registerValidPaths(regs)
    // Realisations: dependencies first.
    const ids = realisationInfo(r1, caDrv).map(e => parseDrvOutput(e['id'] as string))
    const pending: Realisation[] = []
    const collectDeps = async (id: DrvOutput): Promise<void> => {
      const r = (await src.queryRealisation(id))!
      for (const k of r.dependentRealisations.keys()) await collectDeps(parseDrvOutput(k))
      if (!pending.some(x => printDrvOutput(x.id) === printDrvOutput(r.id))) pending.push(r)
    }
    for (const id of ids) await collectDeps(id)
    for (const r of pending) await dst.registerRealisation(r)
    await closeAll()

    assert.deepEqual(pathInfoJson(r2).filter(j => json1.some(k => k.path === j.path)), json1)
    assert.deepEqual(realisationInfo(r2, caDrv), realisationInfo(r1, caDrv))
    const paths = json1.map(j => j.path)
    assert.deepEqual(graphViews(r2, paths, [multiDrv]), graphViews(r1, paths, [multiDrv]))
    const v = nixOnStatus(r2, 'nix-store', ['--verify', '--check-contents'])
    assert.equal(v.status, 0, v.stderr)
    assert.doesNotMatch(v.stderr, /error|modified|disappeared/)

    // C++ garbage-collects a path in tsnix's database; its castore root goes with it.
    const tree = json1.find(j => j.path.endsWith('-tree'))!.path
    nixOn(r2, 'nix-store', ['--delete', tree])
    const after = await openSvc(r2)
    assert.equal(await after.isValidPath(storeDir.parse(tree)), false)
    assert.equal(await after.queryCastoreRoot(storeDir.parse(tree)), undefined)
    assert.deepEqual(await after.queryCastoreRoot(storeDir.parse(outPath)), new TextEncoder().encode(`root of ${storeDir.parse(outPath).baseName}`))
  })

  it('registers a path made from scratch that C++ Nix verifies (hash, size, references)', async () => {
    const r3 = join(work, 'r3')
    const store = realStoreDirOf(r3)
    mkdirSync(store, { recursive: true })
    const dep = StorePath.fromBaseName('0'.repeat(31) + '1-tsnix-dep')
    const top = StorePath.fromBaseName('0'.repeat(31) + '2-tsnix-top')
    const depFile = join(store, dep.baseName)
    const topFile = join(store, top.baseName)
    writeFileSync(depFile, 'just data\n')
    writeFileSync(topFile, `uses ${storeDir.print(dep)} and itself ${storeDir.print(top)}\n`)
    for (const f of [depFile, topFile]) { chmodSync(f, 0o444); utimesSync(f, 1, 1) }
    // The NAR hash and size, from C++ Nix's own tools.
    const narOf = (f: string): { hash: NixHash; size: number } => ({
      hash: NixHash.parseAny(execFileSync('nix-hash', ['--type', 'sha256', f], { encoding: 'utf8' }).trim(), 'sha256'),
      size: execFileSync('nix-store', ['--dump', f], { maxBuffer: 1 << 20 }).length,
    })
    const d = narOf(depFile)
    const t = narOf(topFile)
    const svc = await openSvc(r3)
    await svc.registerValidPaths([
      { info: { path: top, deriver: undefined, narHash: t.hash, references: [dep, top], registrationTime: 1_700_000_000, narSize: t.size, ultimate: true, sigs: [], ca: undefined } },
      { info: { path: dep, deriver: undefined, narHash: d.hash, references: [], registrationTime: 1_700_000_000, narSize: d.size, ultimate: false, sigs: [], ca: undefined } },
    ])
    await closeAll()
    const tp = storeDir.print(top)
    assert.equal(nixOn(r3, 'nix-store', ['-q', '--hash', tp]).trim(), t.hash.format('nix32'))
    assert.equal(nixOn(r3, 'nix-store', ['-q', '--size', tp]).trim(), String(t.size))
    assert.deepEqual(lines(nixOn(r3, 'nix-store', ['-q', '--references', tp])).sort(), [storeDir.print(dep), tp].sort())
    assert.deepEqual(lines(nixOn(r3, 'nix-store', ['-q', '--referrers', storeDir.print(dep)])), [tp])
    const v = nixOnStatus(r3, 'nix-store', ['--verify', '--check-contents'])
    assert.equal(v.status, 0, v.stderr)
    assert.doesNotMatch(v.stderr, /error|modified|disappeared/)
  })
})
