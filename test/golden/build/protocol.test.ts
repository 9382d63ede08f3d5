/**
 * The build ops at the protocol level, against C++ nix-daemon 2.34.8 and `tsnix daemon`
 * side by side (our own WorkerClient, protocol 1.38): BuildPathsWithResults (statuses,
 * messages, timesBuilt, builtOutputs with their `sha256:<hash modulo>!<output>` keys, for
 * input-addressed, multi-output, floating CA, failing and opaque targets), BuildDerivation,
 * QueryMissing, QueryDerivationOutputMap and QueryRealisation after a CA build, EnsurePath.
 * Derivations come from drvs.nix, instantiated by the stock 2.34 client on each daemon.
 */
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { nameFromDrvPath, parseDerivation, toBasicDerivation } from '../../../src/derivation/index.js'
import { nativeAddon } from '../../../src/os/index.js'
import { findRunc } from '../../../src/sandbox/index.js'
import { type BuildResult, type DerivedPath, StoreDir, type StorePath } from '../../../src/store-path/index.js'
import { WorkerClient } from '../../../src/worker-protocol/index.js'
import { isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'
import { findStaticBusybox } from '../../support/sandbox.js'
import { client, type Daemon, makeWorkspace, startDaemon, type Workspace } from './harness.js'

const sd = new StoreDir()

/** A BuildResult as comparable data (times dropped; ANSI and workspace paths normalised). */
function plain(r: BuildResult, ws: Workspace): unknown {
  return {
    status: r.status,
    errorMsg: r.errorMsg.replaceAll(ws.host, '<ws>').replaceAll(ws.view, '<ws>'),
    timesBuilt: r.timesBuilt,
    isNonDeterministic: r.isNonDeterministic,
    builtOutputs: Object.fromEntries([...r.builtOutputs].sort().map(([k, v]) => [k, { id: `${v.id.drvHash}!${v.id.outputName}`, outPath: sd.print(v.outPath) }])),
  }
}

describe('golden: build ops at the protocol level, tsnix vs C++ nix-daemon 2.34', function () {
  this.timeout(600_000)
  let ws: Workspace | undefined
  const daemons: Daemon[] = []
  const drvPaths = new Map<string, StorePath>()

  before(async function () {
    if (!isRoot) skipBecause(this, 'needs root (daemons, sandbox)')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    if (!findRunc()) skipBecause(this, 'runc not installed')
    if (!nix28()) skipBecause(this, 'Nix 2.8 not installed')
    const ref = referenceNix()
    if (!ref) skipBecause(this, 'reference Nix 2.34 not set up (shared/tools/reference-nix)')
    const bb = findStaticBusybox()
    if (!bb) skipBecause(this, 'no static busybox')
    ws = makeWorkspace(ref!.root, bb!)
    copyFileSync(join(repoRoot, 'test', 'golden', 'build', 'drvs.nix'), join(ws.host, 'drvs.nix'))
    daemons.push(...await Promise.all([startDaemon(ws, 'cpp', '2.34'), startDaemon(ws, 'tsnix', '2.34')]))
    for (const d of daemons) {
      const attrs = ['simple', 'multi', 'chain3', 'caFloating', 'failing', 'fodShellFlat']
      const r = await client(ws, d, 'nix-instantiate', [`${ws.view}/drvs.nix`, '--argstr', 'bb', ws.busybox, '--argstr', 'srcDir', ws.srcDir, ...attrs.flatMap(a => ['-A', a])])
      assert.equal(r.code, 0, r.stderr)
      r.stdout.trim().split('\n').forEach((p, i) => drvPaths.set(attrs[i]!, sd.parse(p.replace(/!.*/, ''))))
    }
  })
  after(async () => {
    await Promise.all(daemons.map(d => d.stop()))
    ws?.cleanup()
  })

  /** The same calls on both daemons, results side by side. */
  async function both<T>(f: (c: WorkerClient, d: Daemon) => Promise<T>): Promise<[T, T]> {
    const run = async (d: Daemon) => {
      const c = await WorkerClient.connect(`${ws!.host}/${d.name}.sock`)
      try {
        await c.setOptions({})
        return await f(c, d)
      } finally {
        c.close()
      }
    }
    const [a, b] = await Promise.all(daemons.map(run))
    return [a!, b!]
  }

  it('QueryMissing before building: the same derivations to build', async () => {
    const [c, t] = await both(cl => cl.queryMissing([{ kind: 'built', drvPath: drvPaths.get('chain3')!, outputs: { kind: 'all' } }]))
    assert.deepEqual(t.willBuild.map(p => p.baseName).sort(), c.willBuild.map(p => p.baseName).sort())
    assert.deepEqual(t.unknown, c.unknown)
  })

  it('BuildPathsWithResults: statuses, messages and builtOutputs as C++ gives them', async () => {
    const targets: DerivedPath[] = [
      { kind: 'built', drvPath: drvPaths.get('simple')!, outputs: { kind: 'names', names: ['out'] } },
      { kind: 'built', drvPath: drvPaths.get('multi')!, outputs: { kind: 'all' } },
      { kind: 'built', drvPath: drvPaths.get('chain3')!, outputs: { kind: 'all' } },
      { kind: 'built', drvPath: drvPaths.get('caFloating')!, outputs: { kind: 'all' } },
      { kind: 'built', drvPath: drvPaths.get('failing')!, outputs: { kind: 'all' } },
      { kind: 'opaque', path: sd.parse('/nix/store/00000000000000000000000000000000-missing') },
    ]
    // keep-going, so one failure does not cancel the others (their results would then depend on timing)
    const [c, t] = await both(async cl => { await cl.setOptions({ keepGoing: true }); return cl.buildPathsWithResults(targets) })
    assert.deepEqual(t.map(r => plain(r, ws!)), c.map(r => plain(r, ws!)))
    // Built again: AlreadyValid, with the outputs.
    const [c2, t2] = await both(cl => cl.buildPathsWithResults(targets.slice(0, 4)))
    assert.deepEqual(t2.map(r => plain(r, ws!)), c2.map(r => plain(r, ws!)))
  })

  it('QueryDerivationOutputMap and QueryRealisation find the floating CA output', async () => {
    const drv = drvPaths.get('caFloating')!
    const [c, t] = await both(async cl => {
      const map = await cl.queryDerivationOutputMap(drv)
      const res = await cl.buildPathsWithResults([{ kind: 'built', drvPath: drv, outputs: { kind: 'all' } }])
      const id = res[0]!.builtOutputs.get('out')!.id
      const real = await cl.queryRealisation({ kind: 'hash', id })
      return { map: Object.fromEntries([...map].map(([k, v]) => [k, v && sd.print(v)])), real: real.kind === 'realisations' ? real.realisations.map(r => sd.print(r.outPath)) : real }
    })
    assert.deepEqual(t, c)
    assert.ok(Object.values(t.map)[0], 'the output is known')
  })

  it('BuildDerivation of a derivation sent over the wire', async () => {
    const [c, t] = await both(async (cl, d) => {
      const drvPath = drvPaths.get('fodShellFlat')!
      const text = readFileSync(`${ws!.host}/${d.name}/nix/store/${drvPath.baseName}`, 'utf8')
      const drv = toBasicDerivation(parseDerivation(text, { name: nameFromDrvPath(drvPath), storeDir: sd }))
      return cl.buildDerivation(drvPath, drv)
    })
    assert.deepEqual(plain(t, ws!), plain(c, ws!))
  })

  it('EnsurePath of a valid path, and of a path that cannot be made valid', async () => {
    const [c, t] = await both(async cl => {
      const res = await cl.buildPathsWithResults([{ kind: 'built', drvPath: drvPaths.get('simple')!, outputs: { kind: 'all' } }])
      await cl.ensurePath(res[0]!.builtOutputs.get('out')!.outPath)
      return cl.ensurePath(sd.parse('/nix/store/00000000000000000000000000000000-missing')).then(() => 'ok', (e: Error) => e.message.replace(/\x1b\[[0-9;]*m/g, ''))
    })
    assert.equal(t, c)
  })
})
