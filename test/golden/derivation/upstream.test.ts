/**
 * Upstream C++ Nix test data, `src/libstore-tests/data/derivation/` of tag 2.34.8 and of master:
 * what each golden asserts upstream (derivation.cc, derivation-advanced-attrs.cc,
 * derivation/invariants.cc, derivation/modulo.cc), checked against our codecs.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  checkInvariants,
  basicDerivationToJson,
  type Derivation,
  DerivationParseError,
  derivationFromJson,
  derivationOptions,
  derivationOptionsFromJson,
  derivationOptionsToJson,
  derivationPath,
  derivationToJson,
  DrvHashCache,
  dumpJson,
  fillInOutputPaths,
  hashDerivationModulo,
  type JsonValue,
  moduloAterm,
  outputFromJson,
  outputToJson,
  parseDerivation,
  parseJson,
  printDerivation,
  requiredSystemFeatures,
  type SingleDerivedPath,
  singleDerivedPathToJson,
  substitutesAllowed,
  tryResolve,
  tryResolveOptions,
  useUidRange,
} from '../../../src/derivation/index.js'
import { NixHash, StorePath } from '../../../src/store-path/index.js'
import { fixture, skipBecause } from '../../support/env.js'

const V234 = fixture('nixos-nix-2.34.8', 'src', 'libstore-tests', 'data', 'derivation')
const MASTER = fixture('nixos-nix', 'src', 'libstore-tests', 'data', 'derivation')

const text = (dir: string, ...p: string[]): string => readFileSync(join(dir, ...p), 'utf8')
/** The fixture JSON files end in a newline after nlohmann's `dump(2)`. */
const pretty = (d: Derivation): string => dumpJson(derivationToJson(d), 2) + '\n'

for (const [label, dir] of [['2.34.8', V234], ['master', MASTER]] as const) {
  describe(`upstream derivation goldens (${label})`, function () {
    before(function () { if (!dir) skipBecause(this, `fixtures ${label} not found (../shared/fixtures)`) })

    // derivation.cc MAKE_TEST_P: from_json / to_json / from_aterm / to_aterm
    for (const stem of ['simple-derivation', 'dyn-dep-derivation']) {
      it(`${stem}: ATerm and JSON agree both ways`, function () {
        const aterm = text(dir!, `${stem}.drv`)
        const json = text(dir!, `${stem}.json`)
        const fromAterm = parseDerivation(aterm, { name: stem, strict: true })
        const fromJson = derivationFromJson(json)
        assert.equal(pretty(fromAterm), json)
        assert.equal(printDerivation(fromJson), aterm)
        assert.equal(pretty(fromJson), json)
      })
    }

    // derivation.cc DerivationOutputJSON: one output of each kind
    for (const [stem, kind] of [['inputAddressed', 'inputAddressed'], ['caFixedFlat', 'caFixed'], ['caFixedNAR', 'caFixed'], ['caFixedText', 'caFixed'], ['caFloating', 'caFloating'], ['deferred', 'deferred'], ['impure', 'impure']] as const) {
      it(`output-${stem}.json reads as ${kind} and prints back`, function () {
        const json = text(dir!, `output-${stem}.json`)
        const o = outputFromJson(parseJson(json))
        assert.equal(o.kind, kind)
        assert.equal(dumpJson(outputToJson(o), 2) + '\n', json)
      })
    }

    it('bad-version.drv and bad-old-version-dyn-deps.drv are rejected (BadATerm_*)', function () {
      for (const f of ['bad-version.drv', 'bad-old-version-dyn-deps.drv']) {
        for (const strict of [false, true]) assert.throws(() => parseDerivation(text(dir!, f), { name: 'x', strict }), DerivationParseError, f)
      }
    })

    if (label === 'master') it('bad-ca-fixed-path.drv (master only) is rejected in strict mode', function () {
      const t = text(dir!, 'bad-ca-fixed-path.drv')
      assert.throws(() => parseDerivation(t, { name: 'fixed', strict: true }), /does not match its content address/)
      // C++ 2.34 reads it and prints the computed path instead
      const d = parseDerivation(t, { name: 'fixed' })
      assert.notEqual(printDerivation(d), t)
    })

    // parser-bench.cc: real (anonymised, hence unsorted) derivations parse; printing keeps the size
    for (const [f, name] of [['hello.drv', 'hello-2.12.2'], ['firefox.drv', 'firefox-140.0.4']] as const) {
      it(`${f} parses leniently, prints canonically at the same size, and is not strict-canonical`, function () {
        const t = text(dir!, f)
        const d = parseDerivation(t, { name })
        const printed = printDerivation(d)
        assert.equal(Buffer.byteLength(printed), Buffer.byteLength(t))
        assert.equal(printDerivation(parseDerivation(printed, { name, strict: true })), printed)
        assert.throws(() => parseDerivation(t, { name, strict: true }), /not in sorted order/)
      })
    }

    // derivation-advanced-attrs.cc TEST_ATERM_JSON: JSON → ATerm → JSON (the .drv files are
    // symlinks into tests/functional, absent here; C++ 2.34's ATerm for them is in nix-2.34.8/)
    for (const variant of ['ia', 'ca']) {
      for (const stem of ['advanced-attributes-defaults', 'advanced-attributes', 'advanced-attributes-structured-attrs-defaults', 'advanced-attributes-structured-attrs']) {
        it(`${variant}/${stem}.json round-trips through the ATerm`, function () {
          const json = text(dir!, variant, `${stem}.json`)
          const d = derivationFromJson(json)
          const again = parseDerivation(printDerivation(d), { name: stem, strict: true })
          assert.equal(pretty(again), json)
          assert.equal(again.structuredAttrs !== undefined, stem.includes('structured'))
        })
      }
    }

    // derivation-advanced-attrs.cc TEST_JSON_OPTIONS + testDerivationOptions: the options read
    // from each advanced-attributes derivation (ca/: with ca-derivations, so placeholders
    // become input outputs), and the options JSON read back
    for (const [variant, ca] of [['ia', false], ['ca', true]] as const) {
      for (const [stem, opt, features] of [
        ['advanced-attributes-defaults', 'defaults', []],
        ['advanced-attributes', 'all_set', ['rainbow', 'uid-range']],
        ['advanced-attributes-structured-attrs-defaults', 'structuredAttrs_defaults', []],
        ['advanced-attributes-structured-attrs', 'structuredAttrs_all_set', ['rainbow', 'uid-range']],
      ] as const) {
        if (ca && opt.endsWith('defaults')) continue // upstream has no ca/ defaults files
        it(`${variant}/derivation-options/${opt}.json: options of ${stem}`, function () {
          const expected = text(dir!, variant, 'derivation-options', `${opt}.json`)
          const d = derivationFromJson(text(dir!, variant, `${stem}.json`))
          const o = derivationOptions(d, { caDerivations: ca })
          assert.equal(dumpJson(derivationOptionsToJson(o), 2) + '\n', expected)
          assert.equal(dumpJson(derivationOptionsToJson(derivationOptionsFromJson(parseJson(expected))), 2) + '\n', expected)
          assert.deepEqual(requiredSystemFeatures(o, d), [...(ca ? ['ca-derivations'] : []), ...features])
          assert.equal(useUidRange(o, d), features.length > 0)
          assert.equal(substitutesAllowed(o, false), features.length === 0)
        })
      }
    }

    it('ia/advanced-attributes-defaults has the output path its JSON states', function () {
      const d = derivationFromJson(text(dir!, 'ia', 'advanced-attributes-defaults.json'))
      assert.deepEqual(checkInvariants(d, () => assert.fail('no inputs expected')), [])
    })

    it('ca/self-contained.json round-trips', function () {
      const json = text(dir!, 'ca', 'self-contained.json')
      assert.equal(pretty(parseDerivation(printDerivation(derivationFromJson(json)), { name: 'myname', strict: true })), json)
    })

    // invariants.cc FillInOutputPathsTest
    describe('invariants (fillInOutputPaths)', () => {
      const inv = (f: string): Derivation => derivationFromJson(text(dir!, 'invariants', f))
      // makeCAFloatingDependency("dependency"): written to the store before the tests
      const dependency: Derivation = {
        name: 'dependency',
        outputs: new Map([['out', { kind: 'caFloating', method: 'nar', hashAlgo: 'sha256' }]]),
        inputDrvs: [], inputSrcs: [], platform: 'x86_64-linux', builder: '/bin/sh', args: [], env: new Map([['out', '']]),
      }
      const cache = new DrvHashCache()
      before(function () {
        const p = derivationPath(dependency)
        assert.equal(p.baseName, 'lg4c4b8r9hlczwprl6kgnzfd9mc1xmkk-dependency.drv') // as named in the goldens
        cache.record(p, dependency)
      })
      for (const stem of ['filled-in-deferred-empty-env-var', 'filled-in-deferred-no-env-var']) {
        it(`${stem}: pre fills in to post`, function () {
          const { drv, warnings } = fillInOutputPaths(inv(`${stem}-pre.json`), cache.lookup)
          assert.equal(pretty(drv), text(dir!, 'invariants', `${stem}-post.json`))
          assert.deepEqual(warnings, [])
        })
      }
      it('filled-in-idempotent: a correct path stays unchanged', function () {
        const d = inv('filled-in-idempotent.json')
        assert.equal(pretty(fillInOutputPaths(d, cache.lookup).drv), pretty(d))
      })
      it('bad-path: a wrong input-addressed path throws', function () {
        assert.throws(() => fillInOutputPaths(inv('bad-path.json'), cache.lookup), /incorrect output/)
      })
      it('depends-on-drv-pre: deferred stays deferred with a floating CA input', function () {
        const d = inv('depends-on-drv-pre.json')
        assert.equal(hashDerivationModulo(d, cache.lookup, { maskOutputs: true }).kind, 'deferred')
        assert.equal(pretty(fillInOutputPaths(d, cache.lookup).drv), pretty(d))
      })
      it('bad-depends-on-drv-pre: a path where it should be deferred throws', function () {
        assert.throws(() => fillInOutputPaths(inv('bad-depends-on-drv-pre.json'), cache.lookup), /should be deferred/)
      })
      it('bad-env-var: a wrong environment value throws (the C++ test is disabled; C++ 2.34 throws too, see nix-2.34.8/from-json)', function () {
        assert.throws(() => fillInOutputPaths(inv('bad-env-var.json'), cache.lookup), /incorrect environment variable 'out'/)
      })
    })

    // modulo.cc HashModuloTest (master only)
    if (label === 'master') describe('hash modulo (modulo.cc, master only)', function () {
      const hm = (f: string): string => text(dir!, 'hash-modulo', f)
      const stems = ['source-first', 'source-second', 'intermediate-first', 'intermediate-second', 'parent-split', 'parent-joined']

      it('each .json and .drv agree, and the store holds them at the paths the parents name', function () {
        const paths = new Map<string, StorePath>()
        for (const stem of stems) {
          const d = parseDerivation(hm(`${stem}.drv`), { name: derivationFromJson(hm(`${stem}.json`)).name, strict: true })
          assert.equal(pretty(d), hm(`${stem}.json`), stem)
          assert.equal(printDerivation(derivationFromJson(hm(`${stem}.json`))), hm(`${stem}.drv`), stem)
          paths.set(stem, derivationPath(d))
        }
        const split = derivationFromJson(hm('parent-split.json'))
        assert.deepEqual(split.inputDrvs.map(i => i.path.baseName).sort(), [paths.get('intermediate-first')!.baseName, paths.get('intermediate-second')!.baseName].sort())
      })

      it('the hashed ("-modulo") ATerm of intermediates and parents is as upstream has it, colliding inputs merged', function () {
        const cache = new DrvHashCache()
        for (const stem of stems) {
          const d = derivationFromJson(hm(`${stem}.json`))
          if (stem.startsWith('intermediate') || stem.startsWith('parent')) {
            assert.equal(moduloAterm(d, cache.lookup, { maskOutputs: true }), hm(`${stem}-modulo.drv`), stem)
          }
          cache.record(derivationPath(d), d)
        }
        const h = (stem: string): NixHash => hashDerivationModulo(derivationFromJson(hm(`${stem}.json`)), cache.lookup, { maskOutputs: true }).hashes.get('out')!
        assert.ok(h('parent-split').equals(h('parent-joined')))
      })

      it('fixed-output sources hash the same whatever the builder (fixedOutputIsProvenanceFree)', function () {
        const a = hashDerivationModulo(derivationFromJson(hm('source-first.json')), () => assert.fail())
        const b = hashDerivationModulo(derivationFromJson(hm('source-second.json')), () => assert.fail())
        assert.equal(a.hashes.size, 1)
        assert.ok(a.hashes.get('out')!.equals(b.hashes.get('out')!))
        // sha256("fixed:out:r:sha256:<hex>:<path>"), the key the -modulo.drv files show
        assert.equal(a.hashes.get('out')!.toBase16(), '42cfa58bf5a281911b6c9471c67cf64f70a820b033415190db3da91710c5ff2c')
      })

      it('intermediates filled in without environment variables get the paths upstream states', function () {
        // makeIntermediate: outputs deferred, env empty, then fillInOutputPaths
        const cache = new DrvHashCache()
        const source = derivationFromJson(hm('source-first.json'))
        cache.record(derivationPath(source), source)
        const expected = derivationFromJson(hm('intermediate-first.json'))
        const draft: Derivation = { ...expected, outputs: new Map([['dev', { kind: 'deferred' }], ['out', { kind: 'deferred' }]]), env: new Map() }
        assert.equal(pretty(fillInOutputPaths(draft, cache.lookup).drv), hm('intermediate-first.json'))
      })
    })

    // derivation/resolution.cc (master only): resolving inputs from a build trace
    if (label === 'master') describe('try-resolve (master only)', () => {
      const tr = (f: string): string => text(dir!, 'try-resolve', f)
      for (const stem of ['no-inputs', 'export-ref-subpath', 'export-ref-subpath-sa', 'resolution-failure']) {
        it(`${stem}`, function () {
          const before = derivationFromJson(tr(`${stem}-before.json`))
          const trace = stem === 'resolution-failure' ? [] : parseJson(tr(`${stem}-buildTrace.json`)) as ReadonlyArray<readonly [JsonValue, string]>
          const known = new Map(trace.map(([k, v]) => [dumpJson(k), StorePath.fromBaseName(v)]))
          const lookup = (drvPath: SingleDerivedPath, output: string): StorePath | undefined =>
            known.get(dumpJson(singleDerivedPathToJson({ kind: 'built', drvPath, output })))
          const resolved = tryResolve(before, lookup, { caDerivations: true })
          if (stem === 'resolution-failure') { assert.equal(resolved, undefined); return }
          assert.ok(resolved)
          assert.equal(dumpJson(basicDerivationToJson(resolved, derivationToJson), 2) + '\n', tr(`${stem}-${stem === 'no-inputs' ? 'after' : 'resolved'}.json`))
          if (stem.startsWith('export-ref')) {
            const options = derivationOptions(before, { caDerivations: true })
            assert.equal(dumpJson(derivationOptionsToJson(options), 2) + '\n', tr(`${stem}-before-options.json`))
            assert.equal(dumpJson(derivationOptionsToJson(tryResolveOptions(options, lookup)!), 2) + '\n', tr(`${stem}-resolved-options.json`))
          }
        })
      }
    })

    it('every file of the directory is covered by a spec above', function () {
      const covered = /^(simple-derivation|dyn-dep-derivation|output-\w+|bad-version|bad-old-version-dyn-deps|bad-ca-fixed-path|hello|firefox)\.(drv|json)$/
      // subdirectories: ia/ and ca/ (JSON, derivation-options/), invariants/, hash-modulo/,
      // try-resolve/ are covered above
      const dirs = new Set(['ia', 'ca', 'invariants', 'hash-modulo', 'try-resolve'])
      const unknown = readdirSync(dir!).filter(f => !covered.test(f) && !dirs.has(f))
      assert.deepEqual(unknown, [])
    })
  })
}

describe('dummy-store one-derivation.json (2.34.8)', function () {
  it('the empty derivation "foo" has the .drv path upstream gives it', function () {
    const f = fixture('nixos-nix-2.34.8', 'src', 'libstore-tests', 'data', 'dummy-store', 'one-derivation.json')
    if (!f) skipBecause(this, 'fixture dummy-store/one-derivation.json not found')
    const derivations = parseJson(readFileSync(f, 'utf8'))
    assert.ok(derivations instanceof Map)
    const [entry] = [...(derivations.get('derivations') as Map<string, never>)]
    assert.ok(entry)
    assert.equal(derivationPath(derivationFromJson(entry[1])).baseName, entry[0])
  })
})
