/**
 * `builtins.toXML` and `nix-instantiate --eval --strict --xml` (with source locations) against
 * C++ Nix 2.34.8 (cpp-xml.json, see capture.ts and README.md), over random values: nested sets
 * and lists, strings needing escapes and raw high bytes, paths, floats, lambdas of every shape,
 * primops, and derivation-like sets (seen again → `<repeated />`).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { printValueAsXml } from '../../../src/eval/xml/index.js'
import { repoRoot } from '../../support/paths.js'
import { CHROOT_DIR } from './capture.js'
import { generateValue, repeatedDerivation, testView } from './generate.js'

interface Golden {
  capturedWith: string
  cases: Array<{ seed: number; toXML: string; xmlWithLocations: string }>
  repeated: { toXML: string; xmlWithLocations: string }
}
const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-xml', 'cpp-xml.json'), 'utf8')) as Golden

describe(`XML printing against ${golden.capturedWith}`, () => {
  it('shows a derivation once, then <repeated />', () => {
    const { value } = repeatedDerivation(`${CHROOT_DIR}/repeated.nix`)
    assert.equal(printValueAsXml(testView, value, { strict: true, location: false }), golden.repeated.toXML)
    assert.equal(printValueAsXml(testView, value, { strict: true, location: true }), golden.repeated.xmlWithLocations)
  })

  for (const c of golden.cases) {
    it(`value of seed ${c.seed}`, () => {
      const { value } = generateValue(c.seed, `${CHROOT_DIR}/v${c.seed}.nix`)
      assert.equal(printValueAsXml(testView, value, { strict: true, location: false }), c.toXML, 'builtins.toXML')
      assert.equal(printValueAsXml(testView, value, { strict: true, location: true }), c.xmlWithLocations, '--xml')
    })
  }
})
