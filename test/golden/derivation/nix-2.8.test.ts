/**
 * Differential test against the installed C++ Nix 2.8 (live): a seeded generator writes a Nix
 * expression with 120 varied derivations (generate.ts), `nix-instantiate` writes them into a
 * private store (`--store <tmp>/root`, never the host's /nix/store), and for every `.drv` in
 * that store we check that our parse → print gives the same bytes, that we compute the same
 * `.drv` path and the same output paths/environment (derivationStrict's way, through
 * hashDerivationModulo over the inputs), and that we read the same values as
 * `nix show-derivation`.
 *
 * TSNIX_DRV_SEEDS=1,2,3 runs more seeds (default: one).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  checkInvariants,
  type Derivation,
  derivationPath,
  DrvHashCache,
  finalizeDerivation,
  nameFromDrvPath,
  outputPath,
  parseDerivation,
  printDerivation,
} from '../../../src/derivation/index.js'
import { StoreDir, StorePath } from '../../../src/store-path/index.js'
import { nix28, skipBecause } from '../../support/env.js'
import { generateCases } from './generate.js'

const seeds = (process.env['TSNIX_DRV_SEEDS'] ?? '28').split(',').map(Number)
const COUNT = 120
const XP = ['--extra-experimental-features', 'ca-derivations impure-derivations nix-command']

for (const seed of seeds) {
  describe(`C++ Nix 2.8 differential: ${COUNT} generated derivations (seed ${seed})`, function () {
    const storeDir = new StoreDir()
    let tmp = ''
    let root = ''
    let top: StorePath[] = []
    let all: StorePath[] = []
    const bytesOf = (p: StorePath): Buffer => readFileSync(join(root, 'nix', 'store', p.baseName))
    const read = (p: StorePath, strict = false): Derivation => parseDerivation(bytesOf(p), { name: nameFromDrvPath(p), strict })
    let cache: DrvHashCache

    before(function () {
      const nix = nix28()
      if (!nix) skipBecause(this, 'C++ Nix 2.8 (nix-instantiate) not installed')
      tmp = mkdtempSync(join(tmpdir(), 'tsnix-drv-diff-'))
      root = join(tmp, 'root')
      mkdirSync(join(tmp, 'conf'))
      const gen = generateCases({ seed, count: COUNT, experimental: true })
      writeFileSync(join(tmp, 'expr.nix'), gen.nix)
      const env = { ...process.env, NIX_CONF_DIR: join(tmp, 'conf'), NIX_REMOTE: '', HOME: tmp }
      const out = execFileSync(nix.nixInstantiate, ['--store', root, ...XP, join(tmp, 'expr.nix')], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] })
      top = out.trim().split('\n').map(l => storeDir.parse(l.replace(/!.*$/, '')))
      all = readdirSync(join(root, 'nix', 'store')).filter(f => f.endsWith('.drv')).sort().map(f => StorePath.fromBaseName(f))
      cache = new DrvHashCache(p => read(p))
    })
    after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }) })

    it(`Nix instantiated ${COUNT} derivations covering every kind of output`, () => {
      assert.equal(top.length, COUNT)
      const drvs = all.map(p => read(p))
      const kinds = new Set(drvs.flatMap(d => [...d.outputs.values()].map(o => o.kind === 'caFixed' ? `caFixed:${o.ca.method}` : o.kind)))
      for (const k of ['inputAddressed', 'caFixed:flat', 'caFixed:nar', 'caFloating', 'deferred', 'impure']) assert.ok(kinds.has(k), `no ${k} output`)
      assert.ok(drvs.some(d => d.structuredAttrs), 'structured attrs')
      assert.ok(drvs.some(d => d.outputs.size > 1), 'several outputs')
      assert.ok(drvs.some(d => d.inputDrvs.length > 1), 'several input derivations')
      assert.ok(drvs.some(d => d.inputSrcs.some(p => p.isDerivation())), 'a .drv among the input sources')
      assert.ok(drvs.some(d => d.inputSrcs.some(p => !p.isDerivation())), 'builtins.toFile sources')
    })

    it('parse → print is byte-identical for every .drv (strict parser)', () => {
      for (const p of all) assert.equal(Buffer.compare(Buffer.from(printDerivation(read(p, true))), bytesOf(p)), 0, p.baseName)
    })

    it('our .drv paths are Nix\'s', () => {
      for (const p of all) assert.equal(derivationPath(read(p)).baseName, p.baseName)
    })

    it('our output paths and output environment variables are Nix\'s (derivationStrict, hashDerivationModulo)', () => {
      for (const p of all) {
        const d = read(p)
        const mine = finalizeDerivation(d, cache.lookup)
        for (const [name, o] of d.outputs) {
          assert.deepEqual(mine.outputs.get(name), o, `${p.baseName} output ${name}`)
          assert.equal(mine.env.get(name), d.env.get(name), `${p.baseName} env ${name}`)
        }
        assert.equal(printDerivation(mine), printDerivation(d))
        assert.deepEqual(checkInvariants(d, cache.lookup, { drvPath: p }), [])
      }
    })

    it('we read the same values as `nix show-derivation`', function () {
      const nix = nix28()!
      const nixCmd = nix.nixStore.replace(/nix-store$/, 'nix')
      const env = { ...process.env, NIX_CONF_DIR: join(tmp, 'conf'), NIX_REMOTE: '', HOME: tmp }
      const json = execFileSync(nixCmd, ['--store', root, ...XP, 'show-derivation', '-r', ...top.map(p => storeDir.print(p))], { encoding: 'utf8', env, maxBuffer: 64 << 20 })
      const theirs = JSON.parse(json) as Record<string, unknown>
      assert.equal(Object.keys(theirs).length, all.length)
      for (const p of all) assert.deepEqual(legacyJson(read(p), storeDir), theirs[storeDir.print(p)], p.baseName)
    })
  })
}

/** Nix 2.8's `show-derivation` shape (full paths, `inputDrvs` as lists), to compare values. */
function legacyJson(d: Derivation, storeDir: StoreDir): unknown {
  const outputs: Record<string, Record<string, string>> = {}
  for (const [name, o] of d.outputs) {
    const path = outputPath(storeDir, d.name, name, o)
    const e: Record<string, string> = {}
    if (path) e['path'] = storeDir.print(path)
    if (o.kind === 'caFixed') {
      e['hashAlgo'] = (o.ca.method === 'nar' ? 'r:' : '') + o.ca.hash.algo
      e['hash'] = o.ca.hash.toBase16()
    } else if (o.kind === 'caFloating' || o.kind === 'impure') {
      e['hashAlgo'] = (o.method === 'nar' ? 'r:' : '') + o.hashAlgo
      if (o.kind === 'impure') e['impure'] = true as never
    }
    outputs[name] = e
  }
  const env: Record<string, string> = {}
  for (const [k, v] of d.env) env[k] = v
  if (d.structuredAttrs) env['__json'] = d.structuredAttrs.text
  return {
    outputs,
    inputSrcs: d.inputSrcs.map(p => storeDir.print(p)).sort(),
    inputDrvs: Object.fromEntries(d.inputDrvs.map(i => [storeDir.print(i.path), [...i.outputs]])),
    system: d.platform,
    builder: d.builder,
    args: [...d.args],
    env,
  }
}
