/**
 * A content-addressed derivation output that contains its own path, built by Nix 2.34
 * (self-ref.nar, self-ref.json; see capture-self-ref.sh): its CA hash is the NAR hashed modulo
 * its own hash part, and its path a `source:` path with `:self`.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathInfoFromJSON } from '../../../src/narinfo/index.js'
import { HashModuloSink, makeFixedOutputPath, NixHash } from '../../../src/store-path/index.js'
import { repoRoot } from '../../support/paths.js'

const dir = join(repoRoot, 'test', 'golden', 'store-path')

describe('golden: self-referencing CA output (Nix 2.34)', () => {
  it('hashes modulo its own hash part, without match positions, in any chunking', () => {
    const nar = new Uint8Array(readFileSync(join(dir, 'self-ref.nar')))
    const [[printed, json]] = Object.entries(JSON.parse(readFileSync(join(dir, 'self-ref.json'), 'utf8')) as Record<string, unknown>) as [[string, unknown]]
    const { info, storeDir } = pathInfoFromJSON(json)
    const path = storeDir.parse(printed)
    assert.ok(NixHash.of('sha256', nar).equals(info.narHash))
    assert.deepEqual(info.references.map(String), [path.baseName])
    for (const step of [1, 7, 31, 32, 33, 64, nar.length]) {
      const sink = new HashModuloSink('sha256', path.hashPart)
      for (let i = 0; i < nar.length; i += step) sink.push(nar.subarray(i, i + step))
      const { hash, size, matches } = sink.finish()
      assert.equal(size, nar.length)
      assert.equal(matches.length, 1)
      assert.ok(info.ca && hash.equals(info.ca.hash), `step ${step}: ${hash.toString()}`)
      assert.ok(makeFixedOutputPath(storeDir, path.name, 'nar', hash, [], true).equals(path))
    }
  })
})
