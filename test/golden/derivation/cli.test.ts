/**
 * `tsnix derivation show` against what C++ Nix 2.34.8 printed for the same store
 * (nix-2.34.8/generated), byte for byte.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distRoot, repoRoot } from '../../support/paths.js'

const golden = join(repoRoot, 'test', 'golden', 'derivation', 'nix-2.34.8')
const main = join(distRoot, 'src', 'cli', 'main.js')

describe('tsnix derivation show', () => {
  let tmp = ''
  let root = ''
  const top = readFileSync(join(golden, 'generated', 'drvs.txt'), 'utf8').trim().split('\n')
  const tsnix = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, NIX_CONF_DIR: tmp }, maxBuffer: 64 << 20 })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-drv-cli-'))
    root = join(tmp, 'root')
    mkdirSync(join(root, 'nix'), { recursive: true })
    symlinkSync(join(golden, 'store'), join(root, 'nix', 'store'))
  })
  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }) })

  it('-r prints what `nix derivation show -r` printed (chroot store)', () => {
    const r = tsnix('derivation', 'show', '-r', '--store', root, ...top)
    assert.equal(r.stderr, '')
    assert.equal(r.status, 0)
    assert.equal(r.stdout, readFileSync(join(golden, 'generated', 'show-r.json'), 'utf8'))
  })

  it('--pretty prints what `nix derivation show --pretty` printed', () => {
    const ok = tsnix('derivation', 'show', '--pretty', '--store', `local?root=${root}`, ...top.slice(0, 4))
    assert.equal(ok.status, 0)
    assert.equal(ok.stdout, readFileSync(join(golden, 'generated', 'show-pretty.json'), 'utf8'))
  })

  it('takes a .drv file by its file name too', () => {
    const base = top[0]!.slice('/nix/store/'.length)
    const r = tsnix('derivation', 'show', join(golden, 'store', base))
    assert.equal(r.status, 0)
    assert.ok(r.stdout.startsWith(`{"derivations":{"${base}":{`))
  })

  it('says what is wrong with a bad argument, and exits 1', () => {
    const notDrv = tsnix('derivation', 'show', '--store', root, '/nix/store/00000000000000000000000000000000-foo')
    assert.equal(notDrv.status, 1)
    assert.match(notDrv.stderr, /^error: '\/nix\/store\/0+-foo' is not a derivation \(\.drv\) path/)
    const missing = tsnix('derivation', 'show', '--store', root, '/nix/store/00000000000000000000000000000000-none.drv')
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /is not valid/)
    const flag = tsnix('derivation', 'show', '--frobnicate', top[0]!)
    assert.equal(flag.status, 1)
    assert.match(flag.stderr, /unrecognised flag '--frobnicate'/)
  })
})
