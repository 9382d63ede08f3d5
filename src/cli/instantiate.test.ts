import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from './instantiate.js'

/** Run `tsnix instantiate ARGS` in-process in `dir`; returns [exit status, stdout, stderr]. */
function run(dir: string, args: string[], stdin = ''): [number, string, string] {
  let out = ''
  let err = ''
  const env = { HOME: dir, NIX_CONF_DIR: dir, NIX_REMOTE: 'dummy://', TSNIX_EVAL_THREAD: 'main' }
  const rc = main(args, { stdout: s => { out += s }, stderr: s => { err += s } }, { env, cwd: dir, readStdin: () => stdin })
  return [rc, out, err]
}

describe('tsnix instantiate (CLI)', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsnix-inst-'))
    writeFileSync(join(dir, 'cli1.nix'), '{ x ? 1, y }: { a = x + y; b.c = [ "s" y ]; f = z: z; }\n')
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  // Expected outputs: C++ Nix 2.34.8 nix-instantiate with the same arguments and file.
  it('--arg/--argstr auto-call and -A select', () => {
    assert.deepEqual(run(dir, ['--eval', '--strict', '--argstr', 'y', 's', '-A', 'b.c', 'cli1.nix']), [0, '[ "s" "s" ]\n', ''])
    assert.deepEqual(run(dir, ['--eval', '--arg', 'y', '5', '-A', 'b', 'cli1.nix']), [0, '{ c = <CODE>; }\n', ''])
  })
  it('--xml prints locations', () => {
    const [rc, out] = run(dir, ['--eval', '--strict', '--xml', '--arg', 'y', '5', '-A', 'b', 'cli1.nix'])
    assert.equal(rc, 0)
    assert.equal(out, `<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrs>\n    <attr column="28" line="1" name="c" path="${join(dir, 'cli1.nix')}">\n      <list>\n        <string value="s" />\n        <int value="5" />\n      </list>\n    </attr>\n  </attrs>\n</expr>\n`)
  })
  it('--json reports unconvertible values at their definition', () => {
    const [rc, , err] = run(dir, ['--eval', '--strict', '--json', '--arg', 'y', '2', 'cli1.nix'])
    assert.equal(rc, 1)
    assert.match(err, /error: cannot convert a function to JSON\n {7}at .*cli1\.nix:1:49:/)
  })
  it('--parse reads stdin', () => {
    assert.deepEqual(run(dir, ['--parse', '-'], 'a: a.b or 1'), [0, '(a: (a).b or (1))\n', ''])
  })
})
