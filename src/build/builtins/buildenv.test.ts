/**
 * `builtin:buildenv` on packages in a scratch "store" (logical /nix/store, real temp dir).
 * Expectations worked out from C++ builtins/buildenv.cc: links point at logical paths; a
 * directory only one package has is one symlink; a second package's directory expands it;
 * the lower priority number wins a file; equal priorities collide; ignored names are
 * skipped; propagated packages follow; `manifest.nix` links to `manifest`.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync, lstatSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BasicDerivation } from '../../derivation/index.js'
import { StoreDir } from '../../store-path/index.js'
import { BuiltinBuilderError } from '../errors.js'
import { builtinBuildenv } from './buildenv.js'

const S = '/nix/store'
const pkg = (c: string, name: string) => `${S}/${c.repeat(32)}-${name}`

describe('build: builtin:buildenv', () => {
  let real: string
  let out: string
  const logs: string[] = []
  const mk = (logical: string, files: Record<string, string>) => {
    for (const [rel, text] of Object.entries(files)) {
      const f = join(real, logical.slice(S.length), rel)
      mkdirSync(join(f, '..'), { recursive: true })
      writeFileSync(f, text)
    }
  }
  const run = (derivations: string) => builtinBuildenv(
    { name: 'env', env: new Map([['derivations', derivations], ['manifest', pkg('m', 'env-manifest.nix')]]) } as unknown as BasicDerivation,
    { outputs: new Map([['out', out]]), storeDir: new StoreDir(S), realStoreDir: real, log: c => { logs.push(new TextDecoder().decode(c)) }, netrc: undefined, ctx: undefined as never },
  )

  beforeEach(() => {
    real = mkdtempSync(join(tmpdir(), 'tsnix-buildenv-'))
    out = join(real, 'out')
    logs.length = 0
  })
  afterEach(() => rmSync(real, { recursive: true, force: true }))

  it('merges directories, resolves priorities, skips ignored files, links the manifest', async () => {
    const hi = pkg('a', 'hello'), lo = pkg('b', 'hello-old'), other = pkg('c', 'other'), prop = pkg('d', 'propagated')
    mk(hi, { 'bin/hello': 'new', 'share/doc/hello': 'd', 'nix-support/propagated-user-env-packages': `${prop}\n` })
    mk(lo, { 'bin/hello': 'old', 'bin/hello-old-only': 'x' })
    mk(other, { 'lib/libother': 'l', 'share/man/other.1': 'm', '.hidden': 'h', 'manifest.json': '{}' })
    mk(prop, { 'bin/prop': 'p' })
    await run(`true 5 1 ${hi} true 10 1 ${lo} true 5 1 ${other} false 0 1 ${pkg('e', 'inactive')}`)
    // bin is shared: a real directory; priority 5 beats 10 for bin/hello.
    assert.ok(lstatSync(join(out, 'bin')).isDirectory())
    assert.equal(readlinkSync(join(out, 'bin/hello')), `${hi}/bin/hello`)
    assert.equal(readlinkSync(join(out, 'bin/hello-old-only')), `${lo}/bin/hello-old-only`)
    // lib only in one package: a symlink to that directory; share merged from two.
    assert.equal(readlinkSync(join(out, 'lib')), `${other}/lib`)
    assert.ok(lstatSync(join(out, 'share')).isDirectory())
    assert.equal(readlinkSync(join(out, 'share/doc')), `${hi}/share/doc`)
    assert.equal(readlinkSync(join(out, 'share/man')), `${other}/share/man`)
    // ignored: dot files, nix-support, manifest.json; propagated packages added after.
    assert.ok(!existsSync(join(out, '.hidden')))
    assert.ok(!existsSync(join(out, 'nix-support')))
    assert.ok(!existsSync(join(out, 'manifest.json')))
    assert.equal(readlinkSync(join(out, 'bin/prop')), `${prop}/bin/prop`)
    assert.equal(readlinkSync(join(out, 'manifest.nix')), pkg('m', 'env-manifest.nix'))
  })

  it('equal priorities on one file are a conflict (C++ BuildEnvFileConflictError)', async () => {
    const a = pkg('a', 'one'), b = pkg('b', 'two')
    mk(a, { 'bin/x': '1' })
    mk(b, { 'bin/x': '2' })
    await assert.rejects(run(`true 5 1 ${a} true 5 1 ${b}`), (e: unknown) => {
      assert.ok(e instanceof BuiltinBuilderError)
      assert.equal(e.message, `Unable to build profile. There is a conflict for the following files:\n\n  ${a}/bin/x\n  ${b}/bin/x`)
      return true
    })
  })
})
