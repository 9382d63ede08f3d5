/**
 * `tsnix store add | export | import | gc | delete | verify | adopt` on a chroot store, through
 * the real CLI. Expected paths and messages are C++ `nix-store`'s: the path of `--add` comes
 * from C++ 2.8 when it is installed (else from `tsnix store path-of`, itself pinned against
 * C++ in its own tests); "N store paths deleted, X MiB freed" is C++'s `PrintFreed` text.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nativeAddon } from '../os/index.js'
import { nix28, skipBecause } from '../../test/support/env.js'
import { distRoot } from '../../test/support/paths.js'

const main = join(distRoot, 'src', 'cli', 'main.js')

function tsnix(root: string, args: string[], input?: Uint8Array): { status: number; stdout: string; stderr: string; raw: Buffer } {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('NIX_')) env[k] = v
  const r = spawnSync(process.execPath, [main, 'store', ...args], { env: { ...env, NIX_CONFIG: `store = local?root=${root}` }, maxBuffer: 1 << 26, ...(input ? { input } : {}) })
  return { status: r.status ?? 1, stdout: r.stdout.toString(), stderr: r.stderr.toString(), raw: r.stdout }
}

describe('tsnix store CLI', function () {
  this.timeout(120_000)
  let work: string, root: string

  before(function () {
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    work = mkdtempSync(join(tmpdir(), 'tsnix-store-cli-'))
    root = join(work, 'root')
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  it('adds, exports, imports, verifies and repairs, collects and deletes', () => {
    const a = join(work, 'a.txt'), b = join(work, 'tree')
    writeFileSync(a, 'hello\n')
    mkdirSync(join(b, 'sub'), { recursive: true })
    writeFileSync(join(b, 'sub', 'x'), 'x\n')
    const added = tsnix(root, ['add', a, b])
    assert.equal(added.status, 0, added.stderr)
    const [pa, pb] = added.stdout.trim().split('\n')
    const want = nix28()
      ? spawnSync('nix-store', ['--store', join(work, 'cpp'), '--add', a, b], { encoding: 'utf8' }).stdout.trim().split('\n')
      : tsnix(root, ['path-of', a, b]).stdout.trim().split('\n')
    assert.deepEqual([pa, pb], want)

    // export → import into another store: the same paths, printed in stream order.
    const exp = tsnix(root, ['export', pa!, pb!])
    assert.equal(exp.status, 0, exp.stderr)
    const other = join(work, 'other')
    const imp = tsnix(other, ['import'], exp.raw)
    assert.equal(imp.status, 0, imp.stderr)
    assert.deepEqual(imp.stdout.trim().split('\n').sort(), [pa, pb].sort())
    assert.equal(tsnix(other, ['import', 'extra-arg']).status, 1)

    // verify --check-contents finds a replaced file; --repair restores it from castore.
    const file = join(root, pb!, 'sub', 'x')
    chmodSync(join(root, pb!, 'sub'), 0o755)
    unlinkSync(file)
    writeFileSync(file, 'changed\n')
    const bad = tsnix(root, ['verify', '--check-contents'])
    assert.equal(bad.status, 1)
    assert.match(bad.stderr, /was modified! expected hash/)
    assert.match(bad.stderr, /not all store errors were fixed/)
    assert.equal(tsnix(root, ['verify', '--check-contents', '--repair']).status, 0)
    assert.equal(readFileSync(file, 'utf8'), 'x\n')
    assert.equal(tsnix(root, ['verify', '--check-contents']).status, 0)
    assert.equal(tsnix(root, ['adopt']).status, 0)

    // gc: --print-dead lists both (no roots), delete takes one, gc the rest.
    const dead = tsnix(root, ['gc', '--print-dead'])
    assert.equal(dead.status, 0, dead.stderr)
    assert.deepEqual(dead.stdout.trim().split('\n').sort(), [pa, pb].sort())
    const del = tsnix(root, ['delete', pa!])
    assert.equal(del.status, 0, del.stderr)
    assert.match(del.stderr, /^1 store paths deleted, [0-9.]+ MiB freed$/m)
    const gc = tsnix(root, ['gc'])
    assert.equal(gc.status, 0, gc.stderr)
    assert.match(gc.stderr, /^1 store paths deleted, [0-9.]+ MiB freed$/m)
    assert.equal(tsnix(root, ['gc', '--print-live']).stdout, '')
    assert.match(tsnix(root, ['gc', '--bogus']).stderr, /bad sub-operation '--bogus' in GC/)
  })
})
