/**
 * `instantiateDerivation` is an optimisation of `finalizeDerivation` + `derivationStoreInfo` +
 * `hashDerivationModulo` (whose outputs the golden and lang suites check against C++ Nix), so
 * these specs check that both give the same results — text, paths, hashes, errors — over the
 * shapes that take the fast path and those that fall back.
 */
import assert from 'node:assert/strict'
import { NixHash, StoreDir, StorePath } from '../store-path/index.js'
import {
  type Derivation,
  type DerivationOutput,
  derivationStoreInfo,
  DrvHashCache,
  finalizeDerivation,
  hashDerivationModulo,
  instantiateDerivation,
  StructuredAttrs,
} from './index.js'

const P = (hashChar: string, name: string): StorePath => StorePath.fromBaseName(`${hashChar.repeat(32)}-${name}`)
const drv = (over: Partial<Derivation>): Derivation => ({
  name: 'x', outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [], inputSrcs: [], platform: 'x86_64-linux', builder: '/bin/sh', args: [], env: new Map(), ...over,
})
const deferred = (...names: string[]): Map<string, DerivationOutput> => new Map(names.map(n => [n, { kind: 'deferred' }]))

/** Both ways, compared field by field; returns the result so dependents can be built. */
function same(cache: DrvHashCache, draft: Derivation, storeDir = new StoreDir()): ReturnType<typeof instantiateDerivation> {
  const fast = instantiateDerivation(draft, cache.lookup, storeDir)
  const drv = finalizeDerivation(draft, cache.lookup, { storeDir })
  const info = derivationStoreInfo(drv, storeDir)
  const drvHash = hashDerivationModulo(drv, cache.lookup, { storeDir })
  assert.equal(fast.info.text, info.text)
  assert.equal(fast.info.name, info.name)
  assert.equal(fast.info.path.baseName, info.path.baseName)
  assert.ok(fast.info.hash.equals(info.hash))
  assert.deepEqual(fast.info.references.map(r => r.baseName), info.references.map(r => r.baseName))
  assert.deepEqual([...fast.drv.env], [...drv.env])
  assert.deepEqual([...fast.drv.outputs], [...drv.outputs])
  assert.equal(fast.drvHash.kind, drvHash.kind)
  assert.deepEqual([...fast.drvHash.hashes].map(([k, h]) => [k, h.toBase16()]), [...drvHash.hashes].map(([k, h]) => [k, h.toBase16()]))
  cache.set(fast.info.path, fast.drvHash)
  return fast
}

describe('instantiateDerivation', () => {
  const h = NixHash.parseSRI('sha256-iUUXyRY8iW7DGirb0zwGgf1fRbLA7wimTJKgP7l/OQ8=')

  it('agrees with the general functions on input-addressed and fixed-output derivations', () => {
    const cache = new DrvHashCache()
    const src = same(cache, drv({ name: 'src.tar.gz', outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'flat', hash: h } }]]), env: new Map([['url', 'https://example.org/a b']]) }))
    const tree = same(cache, drv({ name: 'tree', outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'nar', hash: h } }]]) }))
    // same fixed output as `src`: two inputs with one hash modulo merge their output names
    const src2 = same(cache, drv({ name: 'src.tar.gz', outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'flat', hash: h } }]]), builder: 'builtin:fetchurl' }))
    const lib = same(cache, drv({ name: 'lib-1.0', outputs: deferred('out', 'dev', 'doc'), inputDrvs: [{ path: src.info.path, outputs: ['out'], dynamicOutputs: new Map() }] }))
    same(cache, drv({
      name: 'app-2.0',
      outputs: deferred('out', 'bin'),
      inputDrvs: [
        { path: tree.info.path, outputs: ['out'], dynamicOutputs: new Map() },
        { path: lib.info.path, outputs: ['out', 'dev'], dynamicOutputs: new Map() },
        { path: src2.info.path, outputs: ['out'], dynamicOutputs: new Map() },
        { path: src.info.path, outputs: ['out'], dynamicOutputs: new Map() },
      ],
      inputSrcs: [P('z', 'setup.sh'), P('a', 'builder.sh')],
      args: ['-e', 'quote " backslash \\ newline \n tab \t cr \r'],
      // unsorted, an output variable already set by the caller, escapes in keys and values
      env: new Map([['zeta', 'z'], ['out', 'caller value'], ['a"b', 'x\ny'], ['alpha', ''], ['\u{1F600}', 'astral'], ['\uFFFD', 'bmp']]),
    }))
  })

  it('agrees with structured attrs, and on other store directories', () => {
    const cache = new DrvHashCache(undefined, new StoreDir('/foo/bar'))
    same(cache, drv({ name: 'sa', outputs: deferred('out', 'lib'), structuredAttrs: StructuredAttrs.parse('{"b":[1,2],"a":"x"}'), env: new Map([['__a', '1']]) }), new StoreDir('/foo/bar'))
  })

  it('falls back for floating, impure and deferred derivations and dynamic inputs', () => {
    const cache = new DrvHashCache()
    const floating = same(cache, drv({ name: 'float', outputs: new Map([['out', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha256' }]]) }))
    same(cache, drv({ name: 'impure', outputs: new Map([['out', { kind: 'impure', method: 'nar', hashAlgo: 'sha256' }]]) }))
    const dep = same(cache, drv({ name: 'dep', inputDrvs: [{ path: floating.info.path, outputs: ['out'], dynamicOutputs: new Map() }] }))
    assert.equal(dep.drvHash.kind, 'deferred')
    same(cache, drv({ name: 'dyn', inputDrvs: [{ path: floating.info.path, outputs: [], dynamicOutputs: new Map([['out', { outputs: ['out'], dynamicOutputs: new Map() }]]) }] }))
  })

  it('fails as the general functions do', () => {
    const cache = new DrvHashCache()
    const cases: Derivation[] = [
      drv({ env: new Map([['__json', '{}']]) }),
      drv({ inputDrvs: [{ path: P('b', 'missing.drv'), outputs: ['out'], dynamicOutputs: new Map() }] }),
      drv({ outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'flat', hash: h } }], ['dev', { kind: 'deferred' }]]) }),
      drv({ name: 'n'.repeat(208) }), // fine as an output name, too long with `.drv`
    ]
    for (const d of cases) {
      let want: unknown
      try { derivationStoreInfo(finalizeDerivation(d, cache.lookup), new StoreDir()) } catch (e) { want = e }
      assert.ok(want instanceof Error)
      assert.throws(() => instantiateDerivation(d, cache.lookup), (e: unknown) => e instanceof Error && e.constructor === want.constructor && e.message === want.message)
    }
  })
})
