/**
 * The PathInfoService conformance suite, run against every backend: SQLite in a state
 * directory (prepared statements, second connection for large batches), SQLite `:memory:`
 * (prepared, and knex-only — which runs the knex hot path that PostgreSQL uses), and a
 * throwaway PostgreSQL server.
 *
 * Expected values are worked out by hand from C++ `LocalStore` semantics (cited per spec); the
 * byte-level agreement with C++ Nix's database is in test/golden/pathinfo.
 */
import assert from 'node:assert/strict'
import {
  InvalidPathError,
  makeTextPath,
  NixHash,
  type PathInfo,
  printDrvOutput,
  type Realisation,
  sha256,
  StorePath,
  storePathForContentAddress,
} from '../store-path/index.js'
import { skipBecause } from '../../test/support/env.js'
import { type Backend, mkInfo, postgresBackend, sp, sqliteFileBackend, sqliteMemoryBackend, storeDir } from '../../test/support/pathinfo.js'
import { BadPathInfoError, NotContentAddressedError, PathInUseError, RealisationError, ReferenceCycleError } from './errors.js'
import type { SqlPathInfoService } from './sql-path-info-service.js'

const names = (ps: readonly StorePath[]): string[] => ps.map(p => p.name)
const NOW = 1_800_000_000

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

function conformance(backend: Backend): void {
  describe(backend.name, function () {
    let svc: SqlPathInfoService
    const opened: SqlPathInfoService[] = []

    beforeEach(async function () {
      const s = await backend.open({ now: () => NOW, maxPathsPerTick: 8 })
      if (typeof s === 'string') skipBecause(this, s)
      svc = s
      opened.push(s)
    })
    afterEach(async () => { for (const s of opened.splice(0)) await s.close() })
    after(() => backend.cleanup())

    it('knows nothing in an empty store', async () => {
      const p = sp('nothing')
      assert.equal(await svc.queryPathInfo(p), undefined)
      assert.equal(await svc.isValidPath(p), false)
      assert.deepEqual(await svc.queryAllValidPaths(), [])
      assert.deepEqual(await svc.queryReferrers(p), [])
      assert.deepEqual(await svc.queryValidPaths([p]), [])
      await assert.rejects(svc.queryReferences(p), InvalidPathError)
      await assert.rejects(svc.queryDerivationOutputs(sp('x.drv')), InvalidPathError)
    })

    it('returns every field as registered (sigs as a sorted set, references sorted)', async () => {
      const dep = sp('dep')
      const drv = sp('thing.drv')
      const p = sp('thing')
      await svc.registerValidPaths([{ info: mkInfo(dep) }])
      const info = mkInfo(p, {
        deriver: drv,
        references: [p, dep],
        registrationTime: 1_600_000_000,
        narSize: 4096,
        ultimate: true,
        sigs: ['z:sig2', 'a:sig1', 'z:sig2'],
      })
      await svc.registerValidPaths([{ info }])
      const got = await svc.queryPathInfo(p)
      assert.ok(got)
      assert.deepEqual(got, { ...info, references: [dep, p].sort(StorePath.compare), sigs: ['a:sig1', 'z:sig2'] })
      assert.deepEqual(names(await svc.queryReferences(p)), names([dep, p].sort(StorePath.compare)))
      assert.equal(await svc.isValidPath(p), true)
    })

    it('stores zero size, no signatures, no deriver and not-ultimate as Nix does, and reads them back', async () => {
      const p = sp('plain')
      const info = mkInfo(p, { narSize: 0, ultimate: false, sigs: [] })
      await svc.registerValidPaths([{ info }])
      assert.deepEqual(await svc.queryPathInfo(p), info)
    })

    it('uses the current time for a registration time of 0 (C++ addValidPath)', async () => {
      const p = sp('now')
      await svc.registerValidPaths([{ info: mkInfo(p, { registrationTime: 0 }) }])
      assert.equal((await svc.queryPathInfo(p))!.registrationTime, NOW)
    })

    it('registers a batch with references inside it in any order, and self-references', async () => {
      const a = sp('a'), b = sp('b'), c = sp('c')
      await svc.registerValidPaths([
        { info: mkInfo(a, { references: [b, a] }) },
        { info: mkInfo(c) },
        { info: mkInfo(b, { references: [c] }) },
      ])
      assert.deepEqual(names(await svc.queryReferences(a)), names([a, b].sort(StorePath.compare)))
      assert.deepEqual(names(await svc.queryReferrers(c)), ['b'])
      assert.deepEqual(names(await svc.queryReferrers(a)), ['a'])
      assert.deepEqual(names(await svc.queryAllValidPaths()), names([a, b, c].sort(StorePath.compare)))
    })

    it('rejects a reference to a path that is not valid, registering nothing', async () => {
      const a = sp('a'), ghost = sp('ghost')
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(a, { references: [ghost] }) }]),
        (e: Error) => e instanceof InvalidPathError && e.message === `path '${storeDir.print(ghost)}' is not valid`)
      assert.equal(await svc.isValidPath(a), false)
    })

    it('rejects a reference cycle within the batch, registering nothing (C++ topoSort)', async () => {
      const a = sp('a'), b = sp('b'), ok = sp('ok')
      await assert.rejects(svc.registerValidPaths([
        { info: mkInfo(ok) },
        { info: mkInfo(a, { references: [b] }) },
        { info: mkInfo(b, { references: [a] }) },
      ]), (e: Error) => e instanceof ReferenceCycleError && /^cycle detected in the references of '.*' from '.*'$/.test(e.message))
      assert.deepEqual(await svc.queryAllValidPaths(), [])
    })

    it('rejects a NAR hash that is not SHA-256', async () => {
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(sp('x'), { narHash: NixHash.of('sha1', 'x') }) }]), BadPathInfoError)
    })

    it('checks a claimed content address against the path (C++ isContentAddressed)', async () => {
      const dep = sp('dep')
      await svc.registerValidPaths([{ info: mkInfo(dep) }])
      const text = 'hello'
      const ca = { method: 'text' as const, hash: NixHash.of('sha256', text) }
      const good = makeTextPath(storeDir, 'hello.txt', ca.hash, [dep])
      await svc.registerValidPaths([{ info: mkInfo(good, { ca, references: [dep] }) }])
      assert.deepEqual((await svc.queryPathInfo(good))!.ca, ca)
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(sp('liar'), { ca }) }]), NotContentAddressedError)
      // The right hash, but not the references the path was computed with.
      const other = makeTextPath(storeDir, 'other.txt', ca.hash, [dep])
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(other, { ca, references: [] }) }]), NotContentAddressedError)
      // Stricter than C++, which checks new paths only: a wrong claim on a valid path is refused too.
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(good, { ca, references: [] }) }]), NotContentAddressedError)
    })

    it('re-registering a valid path updates hash, size, ultimate, sigs and ca but keeps deriver, time and references', async () => {
      const p = sp('re'), r1 = sp('r1'), r2 = sp('r2'), drv = sp('re.drv')
      await svc.registerValidPaths([{ info: mkInfo(r1) }, { info: mkInfo(r2) }])
      await svc.registerValidPaths([{ info: mkInfo(p, { deriver: drv, references: [r1], registrationTime: 111, ultimate: false, sigs: ['k:1'] }) }])
      const newHash = NixHash.of('sha256', 'other')
      await svc.registerValidPaths([{ info: mkInfo(p, { deriver: undefined, references: [r2], registrationTime: 222, narHash: newHash, narSize: 99, ultimate: true, sigs: ['k:2'] }) }])
      const got = (await svc.queryPathInfo(p))!
      assert.equal(got.deriver?.name, 're.drv')
      assert.equal(got.registrationTime, 111)
      assert.ok(got.narHash.equals(newHash))
      assert.equal(got.narSize, 99)
      assert.equal(got.ultimate, true)
      assert.deepEqual(got.sigs, ['k:2'])
      assert.deepEqual(names(got.references), names([r1, r2].sort(StorePath.compare)))
    })

    it('hands back what a query right after the registration reads, for the paths it made valid only', async () => {
      const dep = sp('dep'), p = sp('ret'), q = sp('ret2')
      await svc.registerValidPaths([{ info: mkInfo(dep) }])
      const info = mkInfo(p, { references: [p, dep], registrationTime: 0, narSize: 0, sigs: ['z:2', 'a:1', 'z:2'], deriver: sp('ret.drv') })
      const reg = await svc.registerValidPaths([{ info }, { info: mkInfo(dep, { narSize: 7 }) }, { info: mkInfo(q, { ultimate: true }) }])
      assert.deepEqual(reg.info(storeDir.print(p)), await svc.queryPathInfo(p))
      assert.equal(reg.info(storeDir.print(p))!.registrationTime, NOW)
      assert.deepEqual(reg.info(storeDir.print(q)), await svc.queryPathInfo(q))
      // dep was valid already (updated in place), and 'other' was not in the batch
      assert.equal(reg.info(storeDir.print(dep)), undefined)
      assert.equal(reg.info(storeDir.print(sp('other'))), undefined)
    })

    it('hands back what a read sees for a content-addressed path without signatures (its given values reused)', async () => {
      const d1 = sp('d1'), d2 = sp('d2')
      await svc.registerValidPaths([{ info: mkInfo(d1) }, { info: mkInfo(d2) }])
      const ca = { method: 'nar' as const, hash: NixHash.of('sha256', 'contents') }
      const path = storePathForContentAddress(storeDir, 'ca-path', ca, [d1, d2])
      const info = mkInfo(path, { ca, references: [d2, d1, d2], registrationTime: 0, narSize: 0, sigs: [], deriver: sp('ca.drv'), ultimate: true })
      const reg = await svc.registerValidPaths([{ info, contentAddressChecked: true }])
      assert.deepEqual(reg.info(storeDir.print(path)), await svc.queryPathInfo(path))
      assert.deepEqual(names(reg.info(storeDir.print(path))!.references), names([d1, d2].sort(StorePath.compare)))
      // contentAddressChecked only skips the check: a plain registration still makes it
      await assert.rejects(svc.registerValidPaths([{ info: mkInfo(sp('liar2'), { ca }) }]), NotContentAddressedError)
    })

    it('finds a path from its hash part with a range probe', async () => {
      const ps = ['one', 'two', 'three', 'four'].map(sp)
      await svc.registerValidPaths(ps.map(p => ({ info: mkInfo(p) })))
      for (const p of ps) assert.equal((await svc.queryPathFromHashPart(p.hashPart))?.baseName, p.baseName)
      // A hash part that sorts between two valid ones, and one after all of them.
      const sorted = ps.map(p => p.hashPart).sort()
      const between = sorted[0]!.slice(0, 31) + (sorted[0]!.endsWith('z') ? 'y' : 'z')
      if (!sorted.includes(between)) assert.equal(await svc.queryPathFromHashPart(between), undefined)
      assert.equal(await svc.queryPathFromHashPart('z'.repeat(32)), undefined)
      await assert.rejects(svc.queryPathFromHashPart('abc'), InvalidPathError)
      await assert.rejects(svc.queryPathFromHashPart('e'.repeat(32)), InvalidPathError)
    })

    it('answers validity for sets', async () => {
      const a = sp('a'), b = sp('b'), c = sp('c')
      await svc.registerValidPaths([{ info: mkInfo(a) }, { info: mkInfo(c) }])
      assert.deepEqual(names(await svc.queryValidPaths([c, b, a, a])), names([a, c].sort(StorePath.compare)))
      assert.deepEqual(await svc.queryValidPaths([]), [])
    })

    it('records derivation outputs of a new .drv and answers derivers (C++ DerivationOutputs)', async () => {
      const drv = sp('pkg.drv'), out = sp('pkg'), dev = sp('pkg-dev')
      await svc.registerValidPaths([{ info: mkInfo(drv), derivationOutputs: new Map([['out', out], ['dev', dev]]) }])
      assert.deepEqual([...await svc.queryDerivationOutputs(drv)].map(([k, v]) => [k, v.name]), [['dev', 'pkg-dev'], ['out', 'pkg']])
      // Outputs need not be valid for the mapping; derivers are answered for any output path.
      assert.deepEqual(names(await svc.queryValidDerivers(out)), ['pkg.drv'])
      assert.deepEqual(await svc.queryValidDerivers(sp('unrelated')), [])
      // Re-registering a valid .drv does not touch its outputs (C++ writes them in addValidPath only).
      await svc.registerValidPaths([{ info: mkInfo(drv), derivationOutputs: new Map([['out', sp('other')]]) }])
      assert.equal((await svc.queryDerivationOutputs(drv)).get('out')?.name, 'pkg')
      // Non-.drv paths never get outputs.
      const notDrv = sp('notdrv')
      await svc.registerValidPaths([{ info: mkInfo(notDrv), derivationOutputs: new Map([['out', out]]) }])
      assert.deepEqual(await svc.queryDerivationOutputs(notDrv), new Map())
    })

    describe('closure (C++ computeFSClosure)', () => {
      // drv -> src ; out (deriver drv) -> lib -> libc ; out -> out (self) ; app -> out
      const drv = sp('out.drv'), src = sp('src'), out = sp('out'), lib = sp('lib'), libc = sp('libc'), app = sp('app')
      beforeEach(async () => {
        await svc.registerValidPaths([
          { info: mkInfo(src) },
          { info: mkInfo(drv, { references: [src] }), derivationOutputs: new Map([['out', out], ['missing', sp('never-built')]]) },
          { info: mkInfo(libc) },
          { info: mkInfo(lib, { references: [libc] }) },
          { info: mkInfo(out, { references: [lib, out], deriver: drv }) },
          { info: mkInfo(app, { references: [out] }) },
        ])
      })
      const sorted = (...ps: StorePath[]): string[] => names([...ps].sort(StorePath.compare))

      it('follows references', async () => {
        assert.deepEqual(names(await svc.computeClosure([app])), sorted(app, out, lib, libc))
        assert.deepEqual(names(await svc.computeClosure([libc])), sorted(libc))
      })
      it('follows referrers when flipped', async () => {
        assert.deepEqual(names(await svc.computeClosure([libc], { flipDirection: true })), sorted(libc, lib, out, app))
      })
      it('adds valid outputs of derivations with includeOutputs', async () => {
        assert.deepEqual(names(await svc.computeClosure([drv], { includeOutputs: true })), sorted(drv, src, out, lib, libc))
      })
      it('adds valid derivers with includeDerivers', async () => {
        assert.deepEqual(names(await svc.computeClosure([app], { includeDerivers: true })), sorted(app, out, lib, libc, drv, src))
      })
      it('flipped: adds derivers with includeOutputs and outputs with includeDerivers', async () => {
        assert.deepEqual(names(await svc.computeClosure([lib], { flipDirection: true, includeOutputs: true })), sorted(lib, out, app, drv))
        assert.deepEqual(names(await svc.computeClosure([src], { flipDirection: true, includeDerivers: true })), sorted(src, drv, out, app))
      })
      it('rejects a start path that is not valid', async () => {
        await assert.rejects(svc.computeClosure([app, sp('ghost')]), InvalidPathError)
      })
    })

    it('merges signatures (C++ addSignatures)', async () => {
      const p = sp('signed')
      await svc.registerValidPaths([{ info: mkInfo(p, { sigs: ['b:2'] }) }])
      await svc.addSignatures(p, ['a:1', 'b:2'])
      assert.deepEqual((await svc.queryPathInfo(p))!.sigs, ['a:1', 'b:2'])
      await assert.rejects(svc.addSignatures(sp('ghost'), ['a:1']), InvalidPathError)
    })

    describe('invalidation (C++ invalidatePathChecked)', () => {
      it('refuses a path still referred to from outside the set, naming the referrers', async () => {
        const lib = sp('lib'), app = sp('app')
        await svc.registerValidPaths([{ info: mkInfo(lib, { references: [lib] }) }, { info: mkInfo(app, { references: [lib] }) }])
        await assert.rejects(svc.invalidatePaths([lib]), (e: Error) => e instanceof PathInUseError &&
          e.message === `cannot delete path '${storeDir.print(lib)}' because it is in use by '${storeDir.print(app)}'`)
        assert.equal(await svc.isValidPath(lib), true)
      })
      it('deletes a self-referencing path, and a set with references inside it', async () => {
        const lib = sp('lib'), app = sp('app'), keep = sp('keep')
        await svc.registerValidPaths([
          { info: mkInfo(keep) },
          { info: mkInfo(lib, { references: [lib, keep] }) },
          { info: mkInfo(app, { references: [lib, app] }) },
        ])
        await svc.invalidatePaths([app, lib, sp('never-valid')])
        assert.deepEqual(names(await svc.queryAllValidPaths()), ['keep'])
        assert.deepEqual(await svc.queryReferrers(keep), [])
      })
      it('cascades derivation outputs, realisations and castore roots', async () => {
        const drv = sp('x.drv'), out = sp('x')
        await svc.registerValidPaths([{ info: mkInfo(out), castoreRoot: Uint8Array.of(1, 2, 3) }, { info: mkInfo(drv), derivationOutputs: new Map([['out', out]]) }])
        const id = { drvHash: 'sha256:' + '11'.repeat(32), outputName: 'out' }
        await svc.registerRealisation({ id, outPath: out, signatures: [], dependentRealisations: new Map() })
        await svc.invalidatePaths([drv])
        assert.deepEqual(await svc.queryValidDerivers(out), [])
        await svc.invalidatePaths([out])
        assert.equal(await svc.queryRealisation(id), undefined)
        assert.equal(await svc.queryCastoreRoot(out), undefined)
        // Re-registering starts clean.
        await svc.registerValidPaths([{ info: mkInfo(out) }])
        assert.equal(await svc.queryCastoreRoot(out), undefined)
      })
    })

    describe('realisations (C++ registerDrvOutput / queryRealisation)', () => {
      const h = (n: number): string => 'sha256:' + n.toString(16).padStart(2, '0').repeat(32)
      it('registers, merges signatures of the same output, and refuses a different output path', async () => {
        const o1 = sp('ca-out'), o2 = sp('ca-out-2')
        await svc.registerValidPaths([{ info: mkInfo(o1) }, { info: mkInfo(o2) }])
        const id = { drvHash: h(1), outputName: 'out' }
        await svc.registerRealisation({ id, outPath: o1, signatures: ['k:b'], dependentRealisations: new Map() })
        await svc.registerRealisation({ id, outPath: o1, signatures: ['k:a'], dependentRealisations: new Map() })
        const r = (await svc.queryRealisation(id))!
        assert.equal(r.outPath.baseName, o1.baseName)
        assert.deepEqual(r.signatures, ['k:a', 'k:b'])
        assert.deepEqual(r.id, id)
        await assert.rejects(svc.registerRealisation({ id, outPath: o2, signatures: [], dependentRealisations: new Map() }),
          (e: Error) => e instanceof RealisationError && e.message.startsWith(`Trying to register a realisation of '${h(1)}!out', but we already have another one locally.`))
        assert.equal(await svc.queryRealisation({ drvHash: h(1), outputName: 'dev' }), undefined)
      })
      it('accepts the drv hash in any prefixed form and stores it as sha256:<base16>', async () => {
        const o = sp('ca-out')
        await svc.registerValidPaths([{ info: mkInfo(o) }])
        const hash = NixHash.fromDigest('sha256', sha256('drv'))
        await svc.registerRealisation({ id: { drvHash: hash.format('nix32'), outputName: 'out' }, outPath: o, signatures: [], dependentRealisations: new Map() })
        const r = await svc.queryRealisation({ drvHash: hash.toSRI(), outputName: 'out' })
        assert.equal(r?.id.drvHash, hash.format('base16'))
      })
      it('links dependent realisations and checks them', async () => {
        const dep = sp('dep-out'), top = sp('top-out')
        await svc.registerValidPaths([{ info: mkInfo(dep) }, { info: mkInfo(top) }])
        const depId = { drvHash: h(2), outputName: 'out' }
        const topId = { drvHash: h(3), outputName: 'out' }
        const withDep = (p: StorePath): Realisation => ({ id: topId, outPath: top, signatures: [], dependentRealisations: new Map([[printDrvOutput(depId), p]]) })
        await assert.rejects(svc.registerRealisation(withDep(dep)), (e: Error) => e instanceof RealisationError && e.message.includes('depends on the non existent'))
        await svc.registerRealisation({ id: depId, outPath: dep, signatures: [], dependentRealisations: new Map() })
        await assert.rejects(svc.registerRealisation(withDep(top)), (e: Error) => e instanceof RealisationError && e.message.includes("that doesn't match what we have locally"))
        await svc.registerRealisation(withDep(dep))
        await svc.registerRealisation(withDep(dep))
        const r = (await svc.queryRealisation(topId))!
        assert.deepEqual([...r.dependentRealisations].map(([k, v]) => [k, v.name]), [[printDrvOutput(depId), 'dep-out']])
        // Invalidating the dependency's output drops the link (what 2.34's trigger does) but not the dependent realisation.
        await svc.invalidatePaths([dep])
        assert.deepEqual((await svc.queryRealisation(topId))!.dependentRealisations, new Map())
      })
      it('requires the output path to be valid', async () => {
        await assert.rejects(svc.registerRealisation({ id: { drvHash: h(4), outputName: 'out' }, outPath: sp('ghost'), signatures: [], dependentRealisations: new Map() }), InvalidPathError)
      })
    })

    it('keeps castore root nodes as opaque bytes', async () => {
      const p = sp('tree'), q = sp('other')
      const root = Uint8Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff)
      await svc.registerValidPaths([{ info: mkInfo(p), castoreRoot: root }, { info: mkInfo(q) }])
      assert.deepEqual(await svc.queryCastoreRoot(p), root)
      assert.equal(await svc.queryCastoreRoot(q), undefined)
      await svc.putCastoreRoot(q, Uint8Array.of(0, 255))
      assert.deepEqual(await svc.queryCastoreRoot(q), Uint8Array.of(0, 255))
      await svc.putCastoreRoot(q, Uint8Array.of(7))
      assert.deepEqual(await svc.queryCastoreRoot(q), Uint8Array.of(7))
      await assert.rejects(svc.putCastoreRoot(sp('ghost'), root), InvalidPathError)
    })

    it('iterates every path info in registration order, in batches', async () => {
      const first = ['p1', 'p2', 'p3'].map(sp)
      await svc.registerValidPaths(first.map(p => ({ info: mkInfo(p) })))
      const last = sp('p0')
      await svc.registerValidPaths([{ info: mkInfo(last, { references: [first[0]!, last] }) }])
      const all = await collect(svc.iteratePathInfos({ batchSize: 2 }))
      assert.deepEqual(all.map(i => i.path.name), [...names([...first].sort(StorePath.compare)), 'p0'])
      assert.deepEqual(names(all[3]!.references), names([first[0]!, last].sort(StorePath.compare)))
      const ac = new AbortController()
      ac.abort()
      await assert.rejects(collect(svc.iteratePathInfos({ signal: ac.signal })))
    })

    it('registers a batch larger than one synchronous chunk atomically', async () => {
      const chain: StorePath[] = Array.from({ length: 60 }, (_, i) => sp(`chain-${i}`))
      const infos: PathInfo[] = chain.map((p, i) => mkInfo(p, { references: i > 0 ? [chain[i - 1]!] : [] }))
      let sawPartial = false
      const probe = (async () => {
        // While the batch is being written, readers see all of it or none of it.
        for (let i = 0; i < 50; i++) {
          const valid = (await svc.queryValidPaths(chain)).length
          if (valid !== 0 && valid !== chain.length) sawPartial = true
          await new Promise(r => setImmediate(r))
        }
      })()
      let probesDuring = 0
      let done = false
      const counter = (async () => { while (!done) { probesDuring++; await new Promise(r => setImmediate(r)) } })()
      await svc.registerValidPaths(infos.map(info => ({ info })))
      done = true
      await Promise.all([probe, counter])
      assert.equal(sawPartial, false)
      // The event loop kept turning while the batch was written (not one long synchronous transaction);
      // only :memory: SQLite, which has a single connection, writes it in one go.
      if (backend.reopen) assert.ok(probesDuring > 1, `event loop turned ${probesDuring} times during the registration`)
      assert.equal((await svc.computeClosure([chain[59]!])).length, 60)
    })

    if (backend.reopen) {
      it('lets two services on one database register overlapping batches at once', async () => {
        const other = await backend.reopen!()
        opened.push(other)
        const shared = Array.from({ length: 30 }, (_, i) => sp(`shared-${i}`))
        const mine = sp('mine'), theirs = sp('theirs')
        await Promise.all([
          svc.registerValidPaths([...shared, mine].map(p => ({ info: mkInfo(p, { references: p === mine ? shared : [] }) }))),
          other.registerValidPaths([...shared, theirs].map(p => ({ info: mkInfo(p, { references: p === theirs ? shared : [] }) }))),
        ])
        assert.equal((await svc.queryAllValidPaths()).length, 32)
        assert.equal((await other.queryReferrers(shared[0]!)).length, 2)
      })

      it('never leaves a dangling reference when invalidation races a registration that refers to the path', async () => {
        const other = await backend.reopen!()
        opened.push(other)
        for (let round = 0; round < 6; round++) {
          const x = sp(`target-${round}`), y = sp(`user-${round}`)
          await svc.registerValidPaths([{ info: mkInfo(x) }])
          const [del, reg] = await Promise.allSettled([
            svc.invalidatePaths([x]),
            other.registerValidPaths([{ info: mkInfo(y, { references: [x] }) }]),
          ])
          const xValid = await svc.isValidPath(x)
          const yValid = await svc.isValidPath(y)
          if (yValid) {
            assert.ok(xValid, 'a valid referrer keeps its reference valid')
            assert.ok(del.status === 'rejected' && del.reason instanceof PathInUseError, String(del.status === 'rejected' ? del.reason : 'deleted'))
            assert.deepEqual(names(await svc.queryReferences(y)), [x.name])
          } else {
            assert.ok(reg.status === 'rejected' && reg.reason instanceof InvalidPathError, String(reg.status === 'rejected' ? reg.reason : 'registered'))
          }
          if (!xValid) assert.equal(del.status, 'fulfilled')
        }
      })

      it('merges one realisation registered by two services at once', async () => {
        const other = await backend.reopen!()
        opened.push(other)
        const out = sp('raced-out')
        await svc.registerValidPaths([{ info: mkInfo(out) }])
        const id = { drvHash: 'sha256:' + 'ab'.repeat(32), outputName: 'out' }
        await Promise.all([
          svc.registerRealisation({ id, outPath: out, signatures: ['k:one'], dependentRealisations: new Map() }),
          other.registerRealisation({ id, outPath: out, signatures: ['k:two'], dependentRealisations: new Map() }),
        ])
        assert.deepEqual((await svc.queryRealisation(id))!.signatures, ['k:one', 'k:two'])
      })
    }

    if (backend.reopen) {
      it('reopens a database with the same contents (migrations are idempotent)', async () => {
        const p = sp('persisted')
        await svc.registerValidPaths([{ info: mkInfo(p, { references: [p] }) }])
        const again = await backend.reopen!()
        opened.push(again)
        assert.deepEqual(await again.queryPathInfo(p), await svc.queryPathInfo(p))
      })
    }
  })
}

describe('pathinfo: PathInfoService conformance', function () {
  conformance(sqliteFileBackend())
  conformance(sqliteMemoryBackend(true))
  conformance(sqliteMemoryBackend(false))
  conformance(postgresBackend())
})
