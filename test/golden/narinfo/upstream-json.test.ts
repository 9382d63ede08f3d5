/**
 * libstore-tests/data/{path-info,nar-info}/json-{1,2}/*.json of Nix 2.34.8, read in place: each
 * parses, prints back byte for byte (as C++ `dump(2)`), and holds the values of the C++ test's
 * `makeEmpty`/`makeFull` (libstore-tests/path-info.cc, nar-info.cc), transcribed below.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { narInfoFromJSON, narInfoToJSON, pathInfoFromJSON, pathInfoToJSON } from '../../../src/narinfo/index.js'
import { NixHash, StoreDir } from '../../../src/store-path/index.js'
import { fixture, skipBecause } from '../../support/env.js'

const data = fixture('nixos-nix-2.34.8', 'src', 'libstore-tests', 'data')
const store = new StoreDir()
const SIG = 'A'.repeat(86) + '=='

describe('golden: path-info and nar-info JSON (Nix 2.34.8)', function () {
  before(function () { if (!data) skipBecause(this, 'fixtures/nixos-nix-2.34.8 not present') })

  for (const kind of ['path-info', 'nar-info'] as const) {
    for (const version of [1, 2] as const) {
      const dir = data && join(data, kind, `json-${version}`)
      const files = dir ? readdirSync(dir).filter(f => f.endsWith('.json')).sort() : []
      for (const f of files) {
        it(`${kind}/json-${version}/${f}`, () => {
          const text = readFileSync(join(dir!, f), 'utf8')
          const stem = f.replace(/\.json$/, '')
          const impure = stem.includes('impure')
          const full = !stem.startsWith('empty')
          const parse = kind === 'nar-info' ? narInfoFromJSON : pathInfoFromJSON
          const { info } = parse(JSON.parse(text), store)
          // makeEmpty / makeFull of the C++ tests.
          assert.ok(info.narHash.equals(NixHash.parseSRI('sha256-FePFYIlMuycIXPZbWi7LGEiMmZSX9FMbaQenWBzm1Sc=')))
          assert.equal(info.narSize, full ? 34878 : 0)
          assert.deepEqual(info.references.map(String), full ? ['g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar', 'n5wkd9frr45pa74if5gpz9j7mifg27fh-foo'] : [])
          if (full) {
            assert.equal(info.ca?.method, 'nar')
            assert.equal(info.ca?.hash.toBase16(), '10c209fa0890fe02c85a8c663ca8e7a37cc766bc5b1b29a0cc61b266f64121d3')
          } else assert.equal(info.ca, undefined)
          if (impure && full) {
            assert.equal(info.deriver?.baseName, 'g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv')
            assert.equal(info.registrationTime, 23423)
            assert.equal(info.ultimate, true)
            assert.deepEqual(info.sigs, [`asdf:${SIG}`, `qwer:${SIG}`])
          } else {
            assert.equal(info.deriver, undefined)
            assert.equal(info.registrationTime, 0)
            assert.equal(info.ultimate, false)
            assert.deepEqual(info.sigs, [])
          }
          if (kind === 'nar-info' && impure) {
            const ni = narInfoFromJSON(JSON.parse(text), store).info
            assert.equal(ni.url, 'nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.xz')
            assert.equal(ni.compression, 'xz')
            assert.equal(ni.fileSize, 4029176)
            assert.ok(ni.fileHash?.equals(info.narHash))
          }
          if (stem.endsWith('noversion')) return // read-only test upstream (JSON_READ_TEST_V1)
          const opts = { version, includeImpureInfo: impure }
          const printed = kind === 'nar-info' ? narInfoToJSON(narInfoFromJSON(JSON.parse(text), store).info, store, opts) : pathInfoToJSON(info, store, opts)
          assert.equal(JSON.stringify(printed, null, 2), text.trimEnd())
        })
      }
    }
  }
})
