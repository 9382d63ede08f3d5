import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { skipBecause } from '../../test/support/env.js'
import { loadEvalBundle } from './eval-bundle.js'

const cliDir = dirname(fileURLToPath(import.meta.url))
const mainJs = join(cliDir, 'main.js')

/** `tsnix ARGS` as a process, with the bundle (default) or the ES modules (`TSNIX_EVAL_BUNDLE=0`). */
function tsnix(args: string[], bundle: boolean, env: NodeJS.ProcessEnv = {}): [number | null, string, string] {
  const r = spawnSync(process.execPath, [mainJs, ...args], {
    env: { ...process.env, NIX_REMOTE: 'dummy://', ...env, ...(bundle ? {} : { TSNIX_EVAL_BUNDLE: '0' }) },
    encoding: 'latin1',
  })
  return [r.status, r.stdout, r.stderr]
}

describe('tsnix eval bundle (start-up fast path)', function () {
  this.timeout(60_000)
  before(function () {
    if (!existsSync(join(cliDir, 'eval-bundle.cjs'))) skipBecause(this, 'no eval bundle (npm run build with esbuild installed makes it)')
    if (loadEvalBundle() === undefined) skipBecause(this, 'the eval bundle is stale (dist changed since `node tools/bundle-cli.mjs`)')
  })

  // Expected values worked out by hand (sha256 of "x" is the standard test digest); each case
  // must also match the unbundled modules byte for byte.
  const cases: Array<[string, string[], number, string]> = [
    ['a constant', ['instantiate', '--eval', '--strict', '-E', '1'], 0, '1\n'],
    ['hashing (node:crypto loaded lazily)', ['eval', '--expr', 'builtins.hashString "sha256" "x"'], 0, '"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"\n'],
    ['deep recursion (reruns in a Worker, found by the module URL)', ['instantiate', '--eval', '-E', 'let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 9000'], 0, '9000\n'],
    ['an evaluation error', ['instantiate', '--eval', '-E', 'throw "boom"'], 1, ''],
  ]
  for (const [what, args, rc, out] of cases) {
    it(what, () => {
      const bundled = tsnix(args, true)
      assert.equal(bundled[0], rc)
      assert.equal(bundled[1], out)
      assert.deepEqual(bundled, tsnix(args, false))
    })
  }

  it('instantiates through a real store (store worker found by the module URL)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-bundle-'))
    try {
      const expr = 'derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ (builtins.toFile "a" "hi") ]; }'
      const args = ['instantiate', '--store', `local?root=${join(dir, 'root')}`, '-E', expr]
      const bundled = tsnix(args, true, { NIX_REMOTE: '' })
      assert.equal(bundled[0], 0, bundled[2])
      assert.match(bundled[1], /^\/nix\/store\/[0-9a-z]{32}-x\.drv\n$/)
      assert.deepEqual(bundled, tsnix(args, false, { NIX_REMOTE: '' }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('tsnix launcher: the evaluation stack', function () {
  this.timeout(60_000)
  before(function () {
    try { accessSync(mainJs, constants.X_OK) } catch { skipBecause(this, 'dist/src/cli/main.js is not executable (the build makes it so)') }
  })
  // A 20,000-deep thunk chain: more than plain node's stack and than an 8 MiB one (V8 told it
  // had 59 MiB there would crash), less than 64 MiB.
  const deep = ['instantiate', '--eval', '-E',
    'let fix = f: let x = f x; in x; s = fix (self: builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; ' +
    'value = if i == 0 then 0 else self."a${toString (i - 1)}" + 1; }) 20000)); in s.a19999']
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): [number | null, string, string] => {
    const r = spawnSync(cmd, args, { env: { ...process.env, NIX_REMOTE: 'dummy://', ...env }, encoding: 'latin1' })
    return [r.status, r.stdout, r.stderr]
  }

  it('evaluates a 20,000-deep chain on the main thread (node alone overflows there)', () => {
    const env = { TSNIX_EVAL_THREAD: 'main' }
    assert.deepEqual(run(mainJs, deep, env), [0, '19999\n', ''])
    const plain = run(process.execPath, [mainJs, ...deep], env)
    assert.equal(plain[0], 1)
    assert.match(plain[2], /stack overflow/)
  })

  it("starts with the bundle's code cache (the launcher's V8 flags are the warm-up's)", () => {
    assert.deepEqual(run(mainJs, ['instantiate', '--eval', '-E', '1'], { TSNIX_EVAL_BUNDLE: 'check' }), [0, '1\n', ''])
    assert.deepEqual(run(mainJs, ['hash', 'convert', '--hash-algo', 'sha256', '--to', 'base16', 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='], { TSNIX_NAR_BUNDLE: 'check' })[2], '')
  })

  it('falls back to the Worker when the stack limit cannot be raised', () => {
    const quoted = [mainJs, ...deep].map(a => `'${a}'`).join(' ')
    assert.deepEqual(run('/bin/sh', ['-c', `ulimit -Hs 8192 && exec ${quoted}`], {}), [0, '19999\n', ''])
  })
})
