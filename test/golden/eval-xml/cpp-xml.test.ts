/**
 * `builtins.toXML` and `nix-instantiate --eval --strict --xml` (with source locations) against
 * C++ Nix 2.34.8 (cpp-xml.json, see capture.ts and README.md), over random values: nested sets
 * and lists, strings needing escapes and raw high bytes, paths, floats, lambdas of every shape,
 * primops, and derivation-like sets (seen again → `<repeated />`). The generated sources are
 * evaluated by the real evaluator (in process), so this checks the printer the CLI uses.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { main } from '../../../src/cli/instantiate.js'
import { repoRoot } from '../../support/paths.js'
import { CHROOT_DIR } from './capture.js'
import { generateValue, repeatedDerivation } from './generate.js'

interface Golden {
  capturedWith: string
  cases: Array<{ seed: number; toXML: string; xmlWithLocations: string }>
  repeated: { toXML: string; xmlWithLocations: string }
}
const golden = JSON.parse(readFileSync(join(repoRoot, 'test', 'golden', 'eval-xml', 'cpp-xml.json'), 'utf8')) as Golden

/** Run `tsnix instantiate` in process; stdout as bytes (the evaluator writes binary strings). */
function instantiate(args: string[]): Buffer {
  let out = ''
  let err = ''
  const status = main(args, { stdout: s => { out += s }, stderr: s => { err += s } })
  assert.equal(status, 0, err)
  return Buffer.from(out, 'latin1')
}

describe(`XML printing against ${golden.capturedWith}`, () => {
  let dir: string
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-xml-')) })
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

  /** Write the source where the golden's paths point (under our temp dir) and compare both forms. */
  function check(chrootPath: string, source: string, expected: { toXML: string; xmlWithLocations: string }): void {
    const file = dir + chrootPath
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, source)
    const relocate = (s: string) => s.split(CHROOT_DIR).join(dir + CHROOT_DIR)
    const xml = instantiate(['--eval', '--strict', '--xml', file])
    assert.equal(xml.toString('utf8'), relocate(expected.xmlWithLocations), '--xml')
    const json = instantiate(['--eval', '--strict', '--json', '-E', `builtins.toXML (import ${file})`])
    assert.equal(Buffer.from(JSON.parse(json.toString('utf8')) as string, 'utf8').toString('utf8'), expected.toXML, 'builtins.toXML')
  }

  it('shows a derivation once, then <repeated />', () => {
    const path = `${CHROOT_DIR}/repeated.nix`
    check(path, repeatedDerivation(path).source, golden.repeated)
  })

  for (const c of golden.cases) {
    it(`value of seed ${c.seed}`, () => {
      const path = `${CHROOT_DIR}/v${c.seed}.nix`
      check(path, generateValue(c.seed, path).source, c)
    })
  }
})
