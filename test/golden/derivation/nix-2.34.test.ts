/**
 * Goldens captured from C++ Nix 2.34.8 (nix-2.34.8/, see README.md): derivations it
 * instantiated from generated expressions and how `nix derivation show` prints them; how it
 * reads non-canonical `.drv` files; and the `.drv` files `nix derivation add` writes from JSON.
 * With the reference-nix chroot present, one more generated set is checked live.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import {
  checkInvariants,
  type Derivation,
  DerivationParseError,
  derivationFromJson,
  derivationPath,
  DrvHashCache,
  fillInOutputPaths,
  finalizeDerivation,
  InvalidDerivationError,
  nameFromDrvPath,
  parseDerivation,
  parseJson,
  printDerivation,
  printDerivationShow,
} from '../../../src/derivation/index.js'
import { StorePath } from '../../../src/store-path/index.js'
import { fixturesRoot, repoRoot } from '../../support/paths.js'
import { isRoot, referenceNix, skipBecause } from '../../support/env.js'
import { CRAFTED_DRVS, CRAFTED_JSON, FROM_JSON_FIXTURES, LENIENT_FIXTURES } from './cases.js'
import { generateCases } from './generate.js'

const dir = join(repoRoot, 'test', 'golden', 'derivation', 'nix-2.34.8')
const storeDir = join(dir, 'store')
const read = (...p: string[]): string => readFileSync(join(dir, ...p), 'utf8')

function readDrv(p: StorePath, strict = false): Derivation {
  return parseDerivation(readFileSync(join(storeDir, p.baseName)), { name: nameFromDrvPath(p), strict })
}

describe('C++ Nix 2.34.8 goldens: generated derivations', () => {
  const show = read('generated', 'show-r.json')
  const shown = parseJson(show) as Map<string, Map<string, unknown>>
  const closure = [...shown.get('derivations')!.keys()].map(b => StorePath.fromBaseName(b))
  const top = read('generated', 'drvs.txt').trim().split('\n').map(l => StorePath.fromBaseName(l.slice('/nix/store/'.length)))
  const cache = new DrvHashCache(p => readDrv(p))

  it(`parse → print is byte-identical for all ${closure.length} .drv files (strict parser)`, () => {
    for (const p of closure) {
      const bytes = readFileSync(join(storeDir, p.baseName))
      assert.equal(printDerivation(readDrv(p, true)), bytes.toString('utf8'), p.baseName)
    }
  })

  it('the .drv paths we compute are the ones Nix wrote them to', () => {
    for (const p of closure) assert.equal(derivationPath(readDrv(p)).baseName, p.baseName)
  })

  it('output paths and environment are what derivationStrict gives; invariants hold', () => {
    for (const p of closure) {
      const d = readDrv(p)
      assert.equal(printDerivation(finalizeDerivation(d, cache.lookup)), printDerivation(d), p.baseName)
      assert.deepEqual(checkInvariants(d, cache.lookup, { drvPath: p }), [], p.baseName)
    }
  })

  it('`derivation show -r` output is byte-identical (compact)', () => {
    assert.equal(printDerivationShow(closure.map(p => [p, readDrv(p)] as const)) + '\n', show)
  })

  it('`derivation show --pretty` output is byte-identical', () => {
    assert.equal(printDerivationShow(top.slice(0, 4).map(p => [p, readDrv(p)] as const), true) + '\n', read('generated', 'show-pretty.json'))
  })
})

describe('C++ Nix 2.34.8 goldens: reading non-canonical .drv files', () => {
  const cases: Array<[string, string]> = [
    ...LENIENT_FIXTURES.map(([stem, base]) => [stem, base] as [string, string]),
    ...CRAFTED_DRVS.map(([stem, base]) => [stem, base] as [string, string]),
  ]
  for (const [stem, base] of cases) {
    it(`${stem}: our default (C++ 2.34) reading matches \`nix derivation show\``, () => {
      const p = StorePath.fromBaseName(base)
      if (existsSync(join(dir, 'lenient', `${stem}.error`))) {
        const err = read('lenient', `${stem}.error`)
        assert.match(err, /cannot process __json attribute/)
        assert.throws(() => readDrv(p), /cannot process __json attribute/)
        return
      }
      assert.equal(printDerivationShow([[p, readDrv(p)]]) + '\n', read('lenient', `${stem}.json`))
    })
  }

  it('the strict parser rejects every crafted non-canonical file but the one with odd JSON', () => {
    for (const [stem, base] of CRAFTED_DRVS) {
      const p = StorePath.fromBaseName(base)
      if (stem === 'json-noncanonical') {
        // the __json text is kept verbatim, so it still prints back byte for byte
        const t = read('lenient', `${stem}.drv`)
        assert.equal(printDerivation(readDrv(p, true)), t)
      } else if (stem === 'json-not-object') {
        assert.throws(() => readDrv(p, true), DerivationParseError)
      } else assert.throws(() => readDrv(p, true), DerivationParseError, stem)
    }
  })
})

describe('C++ Nix 2.34.8 goldens: `nix derivation add` (JSON → .drv)', () => {
  const results = new Map(read('from-json', 'results.txt').trim().split('\n').map(l => {
    const i = l.indexOf(' ')
    return [l.slice(0, i), l.slice(i + 1)] as const
  }))
  const cache = new DrvHashCache(p => readDrv(p))
  const inputs: Array<[string, () => string | undefined]> = [
    ...FROM_JSON_FIXTURES.map(([stem, rel]) => [stem, () => (existsSync(join(fixturesRoot, rel)) ? readFileSync(join(fixturesRoot, rel), 'utf8') : undefined)] as [string, () => string | undefined]),
    ...CRAFTED_JSON.map(([stem]) => [stem, () => read('from-json', `${stem}.json`)] as [string, () => string | undefined]),
  ]
  for (const [stem, input] of inputs) {
    const result = results.get(stem)
    it(`${stem}: ${result?.startsWith('error') ? 'rejected as by C++' : 'same .drv text and path as C++'}`, function () {
      const json = input()
      if (json === undefined) skipBecause(this, `upstream fixture for ${stem} not found under ${fixturesRoot}`)
      assert.ok(result, `no capture for ${stem}`)
      // `nix derivation add` = parse, fillInOutputPaths, checkInvariants, write
      const add = (): { path: StorePath; text: string } => {
        const d = fillInOutputPaths(derivationFromJson(json), cache.lookup).drv
        checkInvariants(d, cache.lookup)
        return { path: derivationPath(d), text: printDerivation(d) }
      }
      if (result.startsWith('error ')) {
        if (result.includes('must have at least one output') || result.includes('incorrect')) assert.throws(add, InvalidDerivationError)
        else assert.throws(add) // inputs not in the store
        return
      }
      const got = add()
      assert.equal(got.text, read('from-json', `${stem}.drv`))
      assert.equal('/nix/store/' + got.path.baseName, result)
    })
  }

  it('every captured .drv file is used', () => {
    const stems = new Set(inputs.map(([s]) => s))
    for (const f of readdirSync(join(dir, 'from-json')).filter(f => f.endsWith('.drv'))) assert.ok(stems.has(f.slice(0, -4)), f)
  })
})

describe('C++ Nix 2.34 live (reference-nix): generated derivations, `nix derivation show -r`', function () {
  const ref = referenceNix()
  let work = ''
  const SEED = 3402
  before(function () {
    if (!ref) skipBecause(this, 'reference-nix chroot not set up (../shared/tools/reference-nix setup)')
    if (!isRoot) skipBecause(this, 'reference-nix needs root')
    work = mkdtempSync(join(ref.root, 'data', 'tsnix-drv-live-'))
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  it('instantiated by 2.34: same bytes, paths, outputs, and `derivation show -r` output', function () {
    const inChroot = '/data/' + basename(work)
    const gen = generateCases({ seed: SEED, count: 60, experimental: true })
    writeFileSync(join(work, 'expr.nix'), gen.nix)
    const run = (cmd: string): string => execFileSync(ref!.script, ['run', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 })
    const xp = "--extra-experimental-features 'ca-derivations impure-derivations'"
    const top = run(`nix-instantiate --store ${inChroot}/store ${xp} ${inChroot}/expr.nix 2>/dev/null`).trim().split('\n').map(l => l.replace(/!.*$/, ''))
    const shown = run(`nix derivation show --store ${inChroot}/store ${xp} -r ${top.join(' ')} 2>/dev/null`)
    const real = join(work, 'store', 'nix', 'store')
    const readLive = (p: StorePath, strict = false): Derivation => parseDerivation(readFileSync(join(real, p.baseName)), { name: nameFromDrvPath(p), strict })
    const closure = [...(parseJson(shown) as Map<string, Map<string, unknown>>).get('derivations')!.keys()].map(b => StorePath.fromBaseName(b))
    const cache = new DrvHashCache(p => readLive(p))
    for (const p of closure) {
      const d = readLive(p, true)
      assert.equal(printDerivation(d), readFileSync(join(real, p.baseName), 'utf8'), p.baseName)
      assert.equal(derivationPath(d).baseName, p.baseName)
      assert.equal(printDerivation(finalizeDerivation(d, cache.lookup)), printDerivation(d), p.baseName)
    }
    assert.equal(printDerivationShow(closure.map(p => [p, readLive(p)] as const)) + '\n', shown)
  })
})
