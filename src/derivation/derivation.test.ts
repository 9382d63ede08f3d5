import assert from 'node:assert/strict'
import { NixError } from '../errors.js'
import { NixHash, StorePath } from '../store-path/index.js'
import {
  type Derivation,
  DerivationJsonError,
  type DerivationOutput,
  DerivationParseError,
  derivationFromJson,
  derivationPath,
  derivationReferences,
  derivationType,
  DrvHashCache,
  drvHashLookupAsync,
  DownstreamPlaceholder,
  finalizeDerivation,
  hashDerivationModulo,
  hashDerivationModuloAsync,
  hashPlaceholder,
  InvalidDerivationError,
  JsonSyntaxError,
  nameFromDrvPath,
  StructuredAttrs,
} from './index.js'

const P = (name: string): StorePath => StorePath.fromBaseName(`c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-${name}`)
const drv = (over: Partial<Derivation>): Derivation => ({
  name: 'x', outputs: new Map(), inputDrvs: [], inputSrcs: [], platform: 'x86_64-linux', builder: '/bin/sh', args: [], env: new Map(), ...over,
})

describe('derivation errors', () => {
  it('have stable names and codes', () => {
    const table: Array<[NixError, string, string]> = [
      [new DerivationParseError('m', 3), 'DerivationParseError', 'ERR_DRV_PARSE'],
      [new DerivationJsonError('m'), 'DerivationJsonError', 'ERR_DRV_JSON'],
      [new InvalidDerivationError('m'), 'InvalidDerivationError', 'ERR_DRV_INVALID'],
      [new JsonSyntaxError('m', 1), 'JsonSyntaxError', 'ERR_JSON_SYNTAX'],
    ]
    for (const [e, name, code] of table) {
      assert.ok(e instanceof NixError)
      assert.equal(e.name, name)
      assert.equal(e.code, code)
    }
  })
})

describe('derivation model', () => {
  it('derivationType rejects the combinations C++ rejects, with its messages', () => {
    const h = NixHash.of('sha256', '')
    const fixed: DerivationOutput = { kind: 'caFixed', ca: { method: 'flat', hash: h } }
    assert.throws(() => derivationType(drv({})), /must have at least one output/)
    assert.throws(() => derivationType(drv({ outputs: new Map<string, DerivationOutput>([['out', fixed], ['dev', { kind: 'deferred' }]]) })), /can't mix derivation output types/)
    assert.throws(() => derivationType(drv({ outputs: new Map([['out', fixed], ['dev', fixed]]) })), /only one fixed output/)
    assert.throws(() => derivationType(drv({ outputs: new Map([['bin', fixed]]) })), /must be named "out"/)
    assert.throws(() => derivationType(drv({ outputs: new Map([['a', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha256' }], ['b', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha1' }]]) })), /same hash algorithm/)
    assert.deepEqual(derivationType(drv({ outputs: new Map([['out', { kind: 'deferred' }]]) })), { kind: 'inputAddressed', deferred: true })
  })

  it('hashPlaceholder is the value Nix puts in env for floating outputs', () => {
    // from upstream ca/advanced-attributes-structured-attrs.json (env.out, env.dev, env.bin)
    assert.equal(hashPlaceholder('out'), '/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9')
    assert.equal(hashPlaceholder('dev'), '/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz')
    assert.equal(hashPlaceholder('bin'), '/04f3da1kmbr67m3gzxikmsl4vjz5zf777sv6m14ahv22r65aac9m')
  })

  it('nameFromDrvPath strips .drv and refuses other paths', () => {
    assert.equal(nameFromDrvPath(P('hello-2.12.drv')), 'hello-2.12')
    assert.throws(() => nameFromDrvPath(P('hello')), InvalidDerivationError)
  })

  it('the .drv references are input sources and input derivations, once each, sorted', () => {
    const d = drv({ inputSrcs: [P('b'), P('a.drv')], inputDrvs: [{ path: P('a.drv'), outputs: ['out'], dynamicOutputs: new Map() }] })
    assert.deepEqual(derivationReferences(d).map(p => p.name), ['a.drv', 'b'])
  })

  it('structured attrs keep their text and parse lazily', () => {
    const s = StructuredAttrs.parse('{"b": 1.0, "a": [true]}')
    assert.equal(s.text, '{"b": 1.0, "a": [true]}')
    assert.deepEqual([...s.attrs.keys()], ['b', 'a'])
    assert.equal(StructuredAttrs.fromValue(s.attrs).text, '{"a":[true],"b":1.0}')
    assert.throws(() => StructuredAttrs.parse('[]'), /expected a JSON object/)
  })
})

describe('hashDerivationModulo', () => {
  // A chain: fixed source → intermediate (regular) → top; and a floating CA input making a dependent deferred
  const h = NixHash.parseSRI('sha256-iUUXyRY8iW7DGirb0zwGgf1fRbLA7wimTJKgP7l/OQ8=')
  const source = drv({ name: 'source', outputs: new Map([['out', { kind: 'caFixed', ca: { method: 'nar', hash: h } }]]) })
  const floating = drv({ name: 'float', outputs: new Map([['out', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha256' }]]) })

  it('records, looks up, and fills in output paths; sync and async agree', async () => {
    const cache = new DrvHashCache()
    const store = new Map<string, Derivation>()
    const add = (d: Derivation): StorePath => {
      const done = finalizeDerivation(d, cache.lookup)
      const p = derivationPath(done)
      cache.record(p, done)
      store.set(p.baseName, done)
      return p
    }
    const sp = add(source)
    const mid = add(drv({ name: 'mid', outputs: new Map([['out', { kind: 'deferred' }], ['dev', { kind: 'deferred' }]]), inputDrvs: [{ path: sp, outputs: ['out'], dynamicOutputs: new Map() }] }))
    const top = drv({ name: 'top', outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [{ path: mid, outputs: ['dev'], dynamicOutputs: new Map() }] })
    const done = finalizeDerivation(top, cache.lookup)
    assert.equal(done.outputs.get('out')!.kind, 'inputAddressed')
    const sync = hashDerivationModulo(done, cache.lookup)
    const async = await hashDerivationModuloAsync(done, drvHashLookupAsync(async p => store.get(p.baseName)!))
    assert.ok(sync.hashes.get('out')!.equals(async.hashes.get('out')!))
    assert.equal(sync.kind, 'regular')
  })

  it('a dependent of a floating output stays deferred, with an empty env value', () => {
    const cache = new DrvHashCache()
    const fp = derivationPath(finalizeDerivation(floating, cache.lookup))
    cache.record(fp, finalizeDerivation(floating, cache.lookup))
    const dep = finalizeDerivation(drv({ name: 'dep', outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [{ path: fp, outputs: ['out'], dynamicOutputs: new Map() }] }), cache.lookup)
    assert.deepEqual(dep.outputs.get('out'), { kind: 'deferred' })
    assert.equal(dep.env.get('out'), '')
    assert.equal(hashDerivationModulo(dep, cache.lookup).kind, 'deferred')
  })

  it('says which input is unknown, and which output has no hash', () => {
    const cache = new DrvHashCache()
    const top = drv({ outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [{ path: P('missing.drv'), outputs: ['out'], dynamicOutputs: new Map() }] })
    assert.throws(() => hashDerivationModulo(top, cache.lookup), /no hash modulo known for derivation '\/nix\/store\/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-missing.drv'/)
    cache.record(P('missing.drv'), source)
    const wrongOutput = drv({ outputs: new Map([['out', { kind: 'deferred' }]]), inputDrvs: [{ path: P('missing.drv'), outputs: ['dev'], dynamicOutputs: new Map() }] })
    assert.throws(() => hashDerivationModulo(wrongOutput, cache.lookup), /no hash for output 'dev' of derivation 'x'/)
  })
})

describe('derivation JSON input', () => {
  it('rejects bad JSON with a path to the problem', () => {
    const ok = { args: [], builder: 'b', env: {}, inputs: { drvs: {}, srcs: [] }, name: 'n', outputs: {}, system: 's', version: 4 }
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, version: 3 }, /unsupported derivation JSON format version 3/],
      [{ ...ok, name: 1 }, /expected a string, got an integer \(at "name"\)/],
      [{ ...ok, outputs: { out: { path: 'x' } } }, /valid store path.*\(at "outputs"\."out"\."path"\)/],
      [{ ...ok, outputs: { out: { hash: 'x', method: 'nar', hashAlgo: 'sha256' } } }, /invalid JSON for derivation output/],
      [{ ...ok, outputs: { out: { method: 'bogus', hashAlgo: 'sha256' } } }, /unknown content address method 'bogus'/],
      [{ ...ok, inputs: { srcs: [] } }, /missing key 'drvs' \(at "inputs"\)/],
      [{ ...ok, env: { a: 1 } }, /expected a string, got an integer \(at "env"\."a"\)/],
      [{ ...ok, structuredAttrs: [] }, /expected a JSON object/],
    ]
    for (const [v, msg] of cases) assert.throws(() => derivationFromJson(JSON.stringify(v)), (e: unknown) => e instanceof DerivationJsonError && msg.test(e.message), String(msg))
    assert.throws(() => derivationFromJson('{'), DerivationJsonError)
  })
})

describe('DownstreamPlaceholder', () => {
  it('renders as upstream computes it', () => {
    // values from NixOS/nix src/libstore-tests/downstream-placeholder.cc
    assert.equal(DownstreamPlaceholder.unknownCaOutput(StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv'), 'out').render(),
      '/0c6rn30q4frawknapgwq386zq358m8r6msvywcvc89n6m5p2dgbz')
    assert.equal(DownstreamPlaceholder.forChain(StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo.drv.drv'), ['out', 'out']).render(),
      '/0gn6agqxjyyalf0dpihgyf49xq5hqxgw100f0wydnj6yqrhqsb3w')
    // what C++ Nix 2.8 put in the environment for `ca.dev` of a floating CA derivation
    assert.equal(DownstreamPlaceholder.unknownCaOutput(StorePath.fromBaseName('551lwairrag2gc4g6qfk6y3n359ambcm-ca.drv'), 'dev').render(),
      '/10paj08lsn5dmdry4546qkwz5kmj8sygbsv09ans0kffkjhp1qgs')
  })
})
