/**
 * Upstream characterisation data: every `.bin` of NixOS/nix
 * src/libstore-tests/data/{worker-protocol,common-protocol} (tag 2.34.8 and master, read in
 * place from shared/fixtures) decodes with our codecs to the value its `.json` states (or, where
 * there is no usable `.json`, to the value upstream's test source worker-protocol.cc writes), and
 * re-encodes to the same bytes.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { printDrvOutput, type Realisation } from '../../../src/store-path/index.js'
import { WireReader, WireWriter } from '../../../src/wire/index.js'
import {
  BuildModeCodec, BuildResultCodec, type Codec, type CodecContext, ClientHandshakeInfoCodec, codecContext, ContentAddressCodec,
  DaemonHelloCodec, DerivedPathCodec, DrvOutputByPathCodec, DrvOutputCodec, FEATURE_REALISATION_WITH_PATH, KeyedBuildResultCodec,
  KeyedRealisationCodec, listOf, OptContentAddressCodec, OptStorePathCodec, OptTrustedFlagCodec, parseProtocolVersion,
  RealisationJsonCodec, realisationFromJson, realisationToJson, StorePathCodec, Str, StringList,
  UnkeyedRealisationCodec, UnkeyedValidPathInfoCodec, ValidPathInfoCodec, WORKER_MAGIC_2,
} from '../../../src/worker-protocol/index.js'
import { fixture, skipBecause } from '../../support/env.js'
import * as J from './upstream-json.js'

interface Golden {
  version: string
  features?: string[]
  /** One codec per element of the tuple in the file. */
  items: Codec<unknown>[]
  json?: (values: unknown[], d: J.Dialect) => unknown
  /** Expected JSON when the `.json` file is missing or unusable (from upstream's test source). */
  expected?: unknown
}

const each = (c: Codec<unknown>, n: number): Codec<unknown>[] => Array.from({ length: n }, () => c)
const map = <T>(f: (v: T, d: J.Dialect) => unknown) => (vs: unknown[], d: J.Dialect) => vs.map(v => f(v as T, d))

/** Master renders realisation signatures as objects; the codec supports writing that dialect. */
const MasterRealisationJson: Codec<unknown> = {
  read: RealisationJsonCodec.read,
  write: (w, _c, v) => { w.string(realisationToJson(v as Realisation, { signatureObjects: true })) },
}

const S = StorePathCodec as Codec<unknown>

const GOLDENS: Record<string, Golden> = {
  // the C++ literal "oh no \0\0\0 what was that!" becomes "oh no " as a std::string, in the .bin too
  string: { version: '1.10', items: each(Str as Codec<unknown>, 5), json: vs => vs },
  'store-path': { version: '1.10', items: each(S, 2), json: map(J.storePath) },
  'content-address': { version: '1.10', items: each(ContentAddressCodec as Codec<unknown>, 3), json: map(J.contentAddress) },
  'optional-store-path': { version: '1.10', items: each(OptStorePathCodec as Codec<unknown>, 2), json: map(J.storePath) },
  'optional-content-address': { version: '1.10', items: each(OptContentAddressCodec as Codec<unknown>, 2), json: map(J.contentAddress) },
  'derived-path-1.29': { version: '1.29', items: each(DerivedPathCodec as Codec<unknown>, 3), json: map(J.derivedPath) },
  'derived-path-1.30': { version: '1.30', items: each(DerivedPathCodec as Codec<unknown>, 4), json: map(J.derivedPath) },
  'build-mode': { version: '1.10', items: each(BuildModeCodec as Codec<unknown>, 3), json: vs => vs.map(v => ['normal', 'repair', 'check'].indexOf(v as string)) },
  'optional-trusted-flag': { version: '1.10', items: each(OptTrustedFlagCodec as Codec<unknown>, 3), json: vs => vs.map(v => (v === undefined ? null : v === 'Trusted')) },
  vector: { version: '1.10', items: [...each(StringList as Codec<unknown>, 3), listOf(StringList) as Codec<unknown>], json: vs => vs },
  set: { version: '1.10', items: [...each(StringList as Codec<unknown>, 3), listOf(StringList) as Codec<unknown>], json: vs => vs },
  'build-result-1.27': { version: '1.27', items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'build-result-1.28': { version: '1.28', items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'build-result-1.29': { version: '1.29', items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'build-result-1.29-compat': { version: '1.29', items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'build-result-1.37': { version: '1.37', items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'build-result-realisation-with-path-not-hash': { version: '1.38', features: [FEATURE_REALISATION_WITH_PATH], items: each(BuildResultCodec as Codec<unknown>, 3), json: map(J.buildResult) },
  'keyed-build-result-1.29': { version: '1.29', items: each(KeyedBuildResultCodec as Codec<unknown>, 2), json: map(J.keyedBuildResult) },
  'unkeyed-valid-path-info-1.15': { version: '1.15', items: each(UnkeyedValidPathInfoCodec as Codec<unknown>, 2), json: map(J.unkeyedPathInfo) },
  'valid-path-info-1.15': { version: '1.15', items: each(ValidPathInfoCodec as Codec<unknown>, 2), json: map(J.pathInfo) },
  'valid-path-info-1.16': { version: '1.16', items: each(ValidPathInfoCodec as Codec<unknown>, 3), json: map(J.pathInfo) },
  'drv-output': { version: '1.10', items: each(DrvOutputCodec as Codec<unknown>, 2), json: map(printDrvOutput) },
  realisation: { version: '1.10', items: each(RealisationJsonCodec as Codec<unknown>, 2), json: map(J.realisation) },
  'realisation-with-deps': { version: '1.10', items: [RealisationJsonCodec as Codec<unknown>], json: map(J.realisation) },
  'drv-output-realisation-with-path-not-hash': { version: '1.38', features: [FEATURE_REALISATION_WITH_PATH], items: each(DrvOutputByPathCodec as Codec<unknown>, 2), json: map(J.drvOutputByPath) },
  // these two files hold a single value, and their JSON is that value, not a list
  'realisation-realisation-with-path-not-hash': { version: '1.38', features: [FEATURE_REALISATION_WITH_PATH], items: [KeyedRealisationCodec as Codec<unknown>], json: (vs, d) => J.keyedRealisation(vs[0] as never, d) },
  'unkeyed-realisation-realisation-with-path-not-hash': { version: '1.38', features: [FEATURE_REALISATION_WITH_PATH], items: [UnkeyedRealisationCodec as Codec<unknown>], json: (vs, d) => J.unkeyedRealisation(vs[0] as never, d) },
  // no JSON upstream (VERSIONED_CHARACTERIZATION_TEST_NO_JSON): values from worker-protocol.cc
  'client-handshake-info_1_30': { version: '1.30', items: [ClientHandshakeInfoCodec as Codec<unknown>], json: vs => vs, expected: [{}] },
  'client-handshake-info_1_33': { version: '1.33', items: each(ClientHandshakeInfoCodec as Codec<unknown>, 2), json: vs => vs, expected: [{ daemonNixVersion: 'foo' }, { daemonNixVersion: 'bar' }] },
  'client-handshake-info_1_35': { version: '1.35', items: each(ClientHandshakeInfoCodec as Codec<unknown>, 2), json: vs => vs, expected: [{ daemonNixVersion: 'foo', remoteTrustsUs: 'NotTrusted' }, { daemonNixVersion: 'bar', remoteTrustsUs: 'Trusted' }] },
  // the daemon's side of a 1.10 handshake (test handshake_log): magic 2, then version 1.10
  'handshake-to-client': { version: '1.10', items: [DaemonHelloCodec as Codec<unknown>], json: vs => vs, expected: [0x10a] },
}

/**
 * Per-tree exceptions in master's orphaned files: realisation.bin writes signatures as objects;
 * realisation-with-deps keeps the 2.34 JSON.
 */
function goldenFor(stem: string, tree: string): Golden | undefined {
  const g = GOLDENS[stem]
  if (g && tree === 'nixos-nix' && stem === 'realisation') return { ...g, items: each(MasterRealisationJson, 2) }
  if (g && tree === 'nixos-nix' && stem === 'realisation-with-deps') return { ...g, json: vs => map(J.realisation)(vs, '2.34') }
  return g
}

const TREES: Array<{ tree: string; dialect: J.Dialect }> = [{ tree: 'nixos-nix-2.34.8', dialect: '2.34' }, { tree: 'nixos-nix', dialect: 'master' }]

for (const { tree, dialect } of TREES) {
  for (const proto of ['worker-protocol', 'common-protocol']) {
    describe(`upstream goldens: ${tree} ${proto}`, function () {
      const dir = fixture(tree, 'src', 'libstore-tests', 'data', proto)
      if (!dir) {
        it('fixtures present', function () { skipBecause(this, `fixtures ${tree}/…/${proto} not found`) })
        return
      }
      for (const file of readdirSync(dir).filter(f => f.endsWith('.bin')).sort()) {
        const stem = file.slice(0, -4)
        it(stem, () => {
          const g = goldenFor(stem, tree)
          assert.ok(g, `no table entry for ${file}: every golden file must be covered`)
          const bytes = new Uint8Array(readFileSync(join(dir, file)))
          const ctx: CodecContext = codecContext({ version: parseProtocolVersion(g.version), features: g.features ?? [] })
          const r = new WireReader(bytes)
          const values = g.items.map(c => c.read(r, ctx))
          assert.equal(r.remaining, 0, 'all bytes consumed')

          const jsonFile = join(dir, `${stem}.json`)
          const expected = g.expected ?? (existsSync(jsonFile) ? JSON.parse(readFileSync(jsonFile, 'utf8')) : undefined)
          assert.notEqual(expected, undefined, 'an expected value')
          assert.deepStrictEqual((g.json ?? (vs => vs))(values, dialect), expected)

          const w = new WireWriter()
          g.items.forEach((c, i) => c.write(w, ctx, values[i]))
          assert.deepStrictEqual(Buffer.from(w.finish()).toString('hex'), Buffer.from(bytes).toString('hex'), 're-encodes byte-identically')
        })
      }
    })
  }
}

describe('upstream goldens: realisation JSON', () => {
  it('reads master\'s signature objects as key:sig strings', () => {
    const r = realisationFromJson('{"id":"sha256:15e3c560894cbb27085cf65b5a2ecb18488c999497f4531b6907a7581ce6d527!baz","outPath":"g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo","signatures":[{"keyName":"asdf","sig":"AAAA"}]}')
    assert.deepEqual(r.signatures, ['asdf:AAAA'])
    assert.equal(r.dependentRealisations.size, 0)
  })
  it('daemon hello magic is WORKER_MAGIC_2', () => { assert.equal(WORKER_MAGIC_2, 0x6478696fn) })
})
