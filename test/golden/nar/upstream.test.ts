/**
 * Upstream NAR fixtures (NixOS/nix src/libutil-tests/data/nars and nar-listing, read in place
 * from ../shared/fixtures). Which NARs are invalid and the message each must produce come from
 * upstream's src/libutil-tests/archive.cc (2.34.8, plus master's regular-* cases); the listing
 * goldens from src/libutil-tests/nar-listing.cc, built from memory-source-accessor/complex.json.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  BadArchiveError, concatBytes, decodeNarTree, encodeNarTree, listingAt, listingToJson, listNarBytes, narDirectory,
  narFile, NarLimitError, type NarNode, NarPaddingError, narSymlink, NarTruncatedError, parseListing, parseShallowListing, scanNar,
} from '../../../src/nar/index.js'
import { fixture, skipBecause } from '../../support/env.js'

const v2348 = (...p: string[]): string | undefined => fixture('nixos-nix-2.34.8', 'src', 'libutil-tests', 'data', ...p)
const master = (...p: string[]): string | undefined => fixture('nixos-nix', 'src', 'libutil-tests', 'data', ...p)

// archive.cc InvalidNarTest: stem → substring of the SerialisationError message.
const INVALID: Array<[string, string]> = [
  ['invalid-tag-instead-of-contents', "bad archive: expected tag 'contents', got 'AAAAAAAA'"],
  ['nul-character', "bad archive: NAR contains invalid file name 'f"],
  ['dot', "bad archive: NAR contains invalid file name '.'"],
  ['dotdot', "bad archive: NAR contains invalid file name '..'"],
  ['slash', "bad archive: NAR contains invalid file name 'x/y'"],
  ['empty', "bad archive: NAR contains invalid file name ''"],
  ['executable-after-contents', "bad archive: expected tag ')', got 'executable'"],
  ['name-after-node', "bad archive: expected tag 'name'"],
]

describe('golden: upstream NAR fixtures', () => {
  for (const [stem, message] of INVALID) {
    it(`rejects ${stem}.nar with "${message}"`, function () {
      const f = v2348('nars', `${stem}.nar`)
      if (!f) skipBecause(this, 'upstream fixtures (../shared/fixtures/nixos-nix-2.34.8) are absent')
      assert.throws(() => decodeNarTree(readFileSync(f)), (e: unknown) => {
        assert.ok(e instanceof BadArchiveError, String(e))
        assert.ok(e.message.includes(message), `${e.message} should include ${message}`)
        return true
      })
    })
  }

  it('reads regular-one-byte-zero-padding.nar, re-writes it byte for byte, and stops before a sentinel', async function () {
    const f = master('nars', 'regular-one-byte-zero-padding.nar')
    if (!f) skipBecause(this, 'upstream master fixtures (../shared/fixtures/nixos-nix) are absent')
    const nar = new Uint8Array(readFileSync(f))
    const tree = decodeNarTree(nar)
    assert.deepEqual(tree, narFile('x'))
    assert.deepEqual(encodeNarTree(tree), nar)
    // archive.cc trailingBytesRemainUnreadWithBothContentModes
    async function* src(): AsyncGenerator<Uint8Array> { yield concatBytes([nar, new TextEncoder().encode('sentinel')]) }
    const r = await scanNar(src())
    assert.equal(r.narSize, nar.length)
    assert.equal(new TextDecoder().decode(r.rest), 'sentinel')
  })

  const MASTER_INVALID: Array<[string, new (...a: never[]) => Error, string]> = [
    ['regular-one-byte-non-zero-padding', NarPaddingError, 'non-zero padding'],
    // C++ reaches EndOfFile reading 2^64-1 bytes; we refuse the size before reading.
    ['regular-truncated-large-contents', NarLimitError, 'file length 18446744073709551615'],
    ['regular-truncated-padding', NarTruncatedError, 'unexpected end-of-file'],
  ]
  for (const [stem, cls, message] of MASTER_INVALID) {
    it(`rejects ${stem}.nar`, function () {
      const f = master('nars', `${stem}.nar`)
      if (!f) skipBecause(this, 'upstream master fixtures (../shared/fixtures/nixos-nix) are absent')
      assert.throws(() => decodeNarTree(readFileSync(f)), (e: unknown) => e instanceof cls && e.message.includes(message))
    })
  }
})

describe('golden: upstream NAR listings', () => {
  /** memory-source-accessor/complex.json as a tree (upstream's exampleComplex()). */
  function complexTree(dir: string): NarNode {
    type J = { type: string; contents?: string; executable?: boolean; target?: string; entries?: Record<string, J> }
    const conv = (j: J): NarNode => j.type === 'regular' ? narFile(j.contents!, j.executable ?? false)
      : j.type === 'symlink' ? narSymlink(j.target!)
        : narDirectory(Object.fromEntries(Object.entries(j.entries!).map(([k, v]) => [k, conv(v)])))
    return conv(JSON.parse(readFileSync(join(dir, 'memory-source-accessor', 'complex.json'), 'utf8')) as J)
  }

  it('deep.json is the recursive listing of the complex example, text for text', function () {
    const data = v2348()
    if (!data) skipBecause(this, 'upstream fixtures are absent')
    const golden = readFileSync(join(data, 'nar-listing', 'deep.json'), 'utf8')
    const listing = listNarBytes(encodeNarTree(complexTree(data)))
    // The golden comes from a memory accessor: no NAR offsets there.
    const strip = (s: string): string => JSON.stringify(JSON.parse(s, (k, v: unknown) => k === 'narOffset' ? undefined : v))
    assert.equal(strip(listingToJson(listing)), strip(golden))
    assert.equal(listingToJson(parseListing(JSON.parse(golden)), { indent: 2 }) + '\n', golden)
    // Offsets point at the contents: reading size bytes there gives the file.
    const nar = encodeNarTree(complexTree(data))
    const foo = listingAt(listing, '/foo')
    assert.ok(foo?.type === 'regular' && foo.narOffset !== undefined)
    assert.equal(new TextDecoder().decode(nar.subarray(foo.narOffset, foo.narOffset + foo.size)), 'hello\n\u0000\n\tworld!')
  })

  it('shallow.json is the shallow listing of the complex example, text for text', function () {
    const data = v2348()
    if (!data) skipBecause(this, 'upstream fixtures are absent')
    const golden = readFileSync(join(data, 'nar-listing', 'shallow.json'), 'utf8')
    const listing = listNarBytes(encodeNarTree(complexTree(data)))
    assert.equal(listingToJson(listing, { recursive: false, indent: 2 }) + '\n', golden)
    assert.deepEqual(parseShallowListing(JSON.parse(golden)), ['bar', 'foo'])
  })
})
