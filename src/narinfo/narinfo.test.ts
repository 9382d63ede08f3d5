import assert from 'node:assert/strict'
import fc from 'fast-check'
import { NIX32_ALPHABET, NixHash, StoreDir, StorePath } from '../store-path/index.js'
import { type NarInfo, NarInfoCorruptError, narInfoFromJSON, narInfoToJSON, parseNarInfo, pathInfoFromJSON, pathInfoToJSON, printNarInfo } from './index.js'

const store = new StoreDir()

// The example of the Nix manual (protocols/nix-cache-info… "narinfo" page), as printed by Nix.
const MANUAL = `StorePath: /nix/store/n5wkd9frr45pa74if5gpz9j7mifg27fh-foo
URL: nar/1w1fff338fvdw53sqgamddn1b2xgds473pv6y13gizdbqjv4i5p3.nar.xz
Compression: xz
FileHash: sha256:09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm
FileSize: 4029176
NarHash: sha256:09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm
NarSize: 34878
References: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar n5wkd9frr45pa74if5gpz9j7mifg27fh-foo
Deriver: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv
Sig: asdf:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
Sig: qwer:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
CA: fixed:r:sha256:1lr187v6dck1rjh2j6svpikcfz53wyl3qrlcbb405zlh13x0khhh
`

const corrupt = (text: string, reason: string) =>
  assert.throws(() => parseNarInfo(text, store, 'x.narinfo'), (e: unknown) => e instanceof NarInfoCorruptError && e.message === `NAR info file 'x.narinfo' is corrupt: ${reason}`)

describe('narinfo', () => {
  it('parses and prints the manual example byte for byte', () => {
    const ni = parseNarInfo(MANUAL, store)
    assert.equal(ni.path.name, 'foo')
    assert.equal(ni.fileSize, 4029176)
    assert.equal(ni.narSize, 34878)
    assert.deepEqual(ni.references.map(String), ['g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar', 'n5wkd9frr45pa74if5gpz9j7mifg27fh-foo'])
    assert.equal(ni.deriver?.baseName, 'g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar.drv')
    assert.equal(ni.ca?.method, 'nar')
    assert.equal(printNarInfo(ni, store), MANUAL)
  })

  it('defaults as C++ does: bzip2, no deriver for unknown-deriver, unknown keys skipped', () => {
    const ni = parseNarInfo('StorePath: /nix/store/n5wkd9frr45pa74if5gpz9j7mifg27fh-foo\nURL: u\nNarHash: sha256:09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm\n' +
      'NarSize: 1\nDeriver: unknown-deriver\nFoo: bar\nReferences: \nCA: \n', store)
    assert.equal(ni.compression, 'bzip2')
    assert.equal(ni.deriver, undefined)
    assert.equal(ni.ca, undefined)
    assert.deepEqual(ni.references, [])
    assert.equal(ni.fileHash, undefined)
  })

  it('reports corruption with the messages and line numbers of C++ nar-info.cc', () => {
    const head = 'StorePath: /nix/store/n5wkd9frr45pa74if5gpz9j7mifg27fh-foo\nURL: u\n'
    corrupt('StorePath', "expecting ':' at line 1")
    corrupt(head + 'NarHash: x', "expecting '\\n' at line 3")
    corrupt(head + 'NarHash: sha256:xyz\n', 'bad hash at line 3')
    corrupt(head + 'FileHash: 09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm\n', 'bad hash at line 3')
    corrupt(head + 'NarSize: -1\n', 'invalid NarSize at line 3')
    corrupt(head + 'FileSize: 1x\n', 'invalid FileSize at line 3')
    corrupt(head + 'References: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar\nReferences: g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-bar\n', 'extra References at line 4')
    corrupt(head + 'CA: fixed:r:sha256:1lr187v6dck1rjh2j6svpikcfz53wyl3qrlcbb405zlh13x0khhh\nCA: text:sha256:1lr187v6dck1rjh2j6svpikcfz53wyl3qrlcbb405zlh13x0khhh\n', 'extra CA at line 4')
    corrupt('URL: u\n', 'StorePath missing')
    corrupt(head, 'NarHash missing')
    corrupt('StorePath: /nix/store/n5wkd9frr45pa74if5gpz9j7mifg27fh-foo\nNarHash: sha256:09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm\n', 'URL missing')
    corrupt(head + 'NarHash: sha256:09ymwqf5i9q7d4dm7x4pjjcqqj0qrcp5lnznbh42gfsci5hcbqqm\n', 'NarSize missing or zero')
  })

  it('round-trips text and JSON (property)', () => {
    const base = fc.array(fc.constantFrom(...NIX32_ALPHABET.split('')), { minLength: 32, maxLength: 32 }).map(a => a.join(''))
    const path = fc.tuple(base, fc.constantFrom('foo', 'bar.drv', 'x-1.0')).map(([h, n]) => StorePath.fromParts(h, n))
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b => NixHash.fromDigest('sha256', b))
    const arb = fc.record({
      path, deriver: fc.option(path, { nil: undefined }), narHash: hash, references: fc.uniqueArray(path, { selector: p => p.baseName, maxLength: 4 }),
      narSize: fc.integer({ min: 1, max: 2 ** 40 }), sigs: fc.uniqueArray(fc.constantFrom('a:AAAA', 'b:BBBB==', 'cache-1:xyz'), { maxLength: 3 }),
      ca: fc.option(hash.map(h => ({ method: 'nar' as const, hash: h })), { nil: undefined }), url: fc.constantFrom('nar/x.nar.xz', 'u'),
      compression: fc.constantFrom('xz', 'none', 'zstd'), fileHash: fc.option(hash, { nil: undefined }), fileSize: fc.integer({ min: 0, max: 2 ** 40 }),
    })
    fc.assert(fc.property(arb, r => {
      const ni: NarInfo = { ...r, references: [...r.references].sort(StorePath.compare), sigs: [...r.sigs].sort(), registrationTime: 0, ultimate: false, fileSize: r.fileHash ? r.fileSize : 0 }
      const text = printNarInfo(ni, store)
      assert.equal(printNarInfo(parseNarInfo(text, store), store), text)
      for (const version of [1, 2] as const) {
        const opts = { version, includeImpureInfo: true }
        const j = JSON.parse(JSON.stringify(narInfoToJSON(ni, store, opts)))
        assert.deepEqual(narInfoToJSON(narInfoFromJSON(j).info, store, opts), j)
        const p = JSON.parse(JSON.stringify(pathInfoToJSON(ni, store, { version, includeImpureInfo: false })))
        assert.deepEqual(pathInfoToJSON(pathInfoFromJSON(p).info, store, { version, includeImpureInfo: false }), p)
      }
    }))
  })
})
