/**
 * Stock clients doing everyday things through `tsnix daemon` (issue 5, acceptance 4 and 5):
 * `nix-env -i` (a `builtin:buildenv` profile, compared with what C++ nix-daemon builds),
 * `nix-collect-garbage -d`, `nix log` / `nix-store -l` of a tsnix build, 40 independent
 * builds with `--max-jobs 2` (never more than two running, as the daemon's own progress
 * counters report, and no lock trouble), and one derivation requested by two clients at once
 * (built once; the other client waits for the lock and finds it valid).
 */
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readlinkSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { nativeAddon } from '../../../src/os/index.js'
import { findRunc } from '../../../src/sandbox/index.js'
import { isRoot, nix28, skipBecause } from '../../support/env.js'
import { repoRoot } from '../../support/paths.js'
import { findStaticBusybox } from '../../support/sandbox.js'
import { client, type Daemon, makeWorkspace, startDaemon, type Workspace } from './harness.js'

describe('golden: stock Nix 2.8 clients through tsnix daemon (nix-env, gc, nix log, parallel builds)', function () {
  this.timeout(600_000)
  let ws: Workspace | undefined
  let ts: Daemon | undefined
  let cpp: Daemon | undefined
  const drvs = (): string[] => [`${ws!.view}/drvs.nix`, '--argstr', 'bb', ws!.busybox, '--argstr', 'srcDir', ws!.srcDir]

  before(async function () {
    if (!isRoot) skipBecause(this, 'needs root (daemons, sandbox)')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    if (!findRunc()) skipBecause(this, 'runc not installed')
    if (!nix28()) skipBecause(this, 'Nix 2.8 not installed')
    const bb = findStaticBusybox()
    if (!bb) skipBecause(this, 'no static busybox')
    ws = makeWorkspace(undefined, bb!)
    for (const f of ['drvs.nix', 'many.nix']) copyFileSync(join(repoRoot, 'test', 'golden', 'build', f), join(ws.host, f))
    ;[ts, cpp] = await Promise.all([startDaemon(ws, 'tsnix', '2.8'), startDaemon(ws, 'cpp', '2.8')])
  })
  after(async () => {
    await Promise.all([ts?.stop(), cpp?.stop()])
    ws?.cleanup()
  })

  it('nix-env -i builds the same profile as C++ (builtin:buildenv), and nix-collect-garbage -d works', async () => {
    // nix-env reads the old generation's manifest by plain file access: the store at /nix.
    const profile = (d: Daemon) => `${ws!.view}/profile-${d.name}`
    const env = (d: Daemon, cmdArgs: string[]) => client(ws!, d, 'nix-env', ['--profile', profile(d), ...cmdArgs], 120_000, { mountStore: true })
    for (const d of [cpp!, ts!]) {
      for (const attr of ['tree', 'multi']) {
        const r = await env(d, ['-f', ...drvs(), '-iA', attr])
        assert.equal(r.code, 0, `${d.name}: ${r.stderr}`)
      }
    }
    // `<profile>-2-link` → the user environment with both packages: the same store path.
    const gen2 = (d: Daemon) => readlinkSync(`${profile(d)}-2-link`)
    assert.equal(gen2(ts!), gen2(cpp!))
    const real = (d: Daemon, p: string) => `${ws!.host}/${d.name}${p}`
    assert.equal(readlinkSync(real(ts!, `${gen2(ts!)}/bin`)), readlinkSync(real(cpp!, `${gen2(cpp!)}/bin`)))
    assert.equal(readlinkSync(real(ts!, `${gen2(ts!)}/o`)), readlinkSync(real(cpp!, `${gen2(cpp!)}/o`)))
    const [qc, qt] = await Promise.all([client(ws!, cpp!, 'nix', ['path-info', '--json', gen2(cpp!)]), client(ws!, ts!, 'nix', ['path-info', '--json', gen2(ts!)])])
    const info = (s: string) => { const [i] = JSON.parse(s) as Array<Record<string, unknown>>; return { narHash: i!['narHash'], references: i!['references'] } }
    assert.deepEqual(info(qt.stdout), info(qc.stdout))
    assert.deepEqual((await env(ts!, ['-q'])).stdout.trim().split('\n').sort(), ['multi', 'tree'])

    const gc = await client(ws!, ts!, 'nix-collect-garbage', ['-d'], 120_000, { mountStore: true })
    assert.equal(gc.code, 0, gc.stderr)
    // Only the current generation is left, and it still works.
    assert.ok(!existsSync(`${profile(ts!)}-1-link`))
    assert.ok(existsSync(real(ts!, readlinkSync(real(ts!, `${gen2(ts!)}/manifest.nix`)))), 'the manifest survived the GC')
    assert.deepEqual((await env(ts!, ['-q'])).stdout.trim().split('\n').sort(), ['multi', 'tree'])
  })

  it('nix log and nix-store -l show the log of a tsnix build (success and failure)', async () => {
    const r = await client(ws!, ts!, 'nix-build', ['--no-out-link', ...drvs(), '-A', 'failing'])
    assert.notEqual(r.code, 0)
    const drv = (await client(ws!, ts!, 'nix-instantiate', [...drvs(), '-A', 'failing'])).stdout.trim()
    const log = await client(ws!, ts!, 'nix', ['log', drv])
    assert.equal(log.code, 0, log.stderr)
    assert.equal(log.stdout, 'line1\nline2\n')
    const l2 = await client(ws!, ts!, 'nix-store', ['-l', drv])
    assert.equal(l2.stdout, 'line1\nline2\n')
  })

  it('40 independent derivations with --max-jobs 2: two at a time, all built', async () => {
    const r = await client(ws!, ts!, 'nix-build', ['--no-out-link', '--max-jobs', '2', '--log-format', 'internal-json',
      `${ws!.view}/many.nix`, '--argstr', 'bb', ws!.busybox, '--arg', 'n', '40'])
    assert.equal(r.code, 0, r.stderr.slice(-2000))
    assert.equal(r.stdout.trim().split('\n').length, 40)
    let maxRunning = 0
    let done = 0
    for (const line of r.stderr.split('\n')) {
      if (!line.startsWith('@nix ')) continue
      const j = JSON.parse(line.slice(5)) as { action: string; type?: number; fields?: number[] }
      // Progress (105) of the Builds activity: [done, expected, running, failed].
      if (j.action === 'result' && j.type === 105 && j.fields && j.fields.length === 4) {
        maxRunning = Math.max(maxRunning, j.fields[2]!)
        done = Math.max(done, j.fields[0]!)
        assert.equal(j.fields[3], 0, 'no build failed')
      }
    }
    assert.equal(done, 40)
    assert.equal(maxRunning, 2)
  })

  it('a C++ nix-daemon and tsnix daemon sharing one store build a derivation once (same .lock protocol)', async () => {
    // A second pair of daemons on one store root: C++ 2.8 and tsnix, both sandboxed.
    const [c, t] = await Promise.all([
      startDaemon(ws!, 'cpp', '2.8', { tag: '-shared', dir: 'shared' }),
      startDaemon(ws!, 'tsnix', '2.8', { tag: '-shared', dir: 'shared' }),
    ])
    try {
      const args = ['--no-out-link', `${ws!.view}/many.nix`, '--argstr', 'bb', ws!.busybox, '--arg', 'n', '1', '--argstr', 'nonce', 'shared', '--argstr', 'sleep', '2']
      const [a, b] = await Promise.all([client(ws!, c, 'nix-build', args), client(ws!, t, 'nix-build', args)])
      assert.equal(a.code, 0, a.stderr)
      assert.equal(b.code, 0, b.stderr)
      assert.equal(a.stdout, b.stdout)
      const built = [a, b].filter(r => /building '.*many-0\.drv'/.test(r.stderr)).length
      assert.equal(built, 1, `one daemon built it:\n${a.stderr}\n----\n${b.stderr}`)
      // Either daemon sees it valid with the same metadata.
      const out = a.stdout.trim()
      const [ic, it2] = await Promise.all([client(ws!, c, 'nix-store', ['-q', '--hash', out]), client(ws!, t, 'nix-store', ['-q', '--hash', out])])
      assert.equal(it2.stdout, ic.stdout)
    } finally {
      await Promise.all([c.stop(), t.stop()])
    }
  })

  it('the same derivation requested by two clients at once is built once', async () => {
    const args = ['--no-out-link', `${ws!.view}/many.nix`, '--argstr', 'bb', ws!.busybox, '--arg', 'n', '1', '--argstr', 'nonce', 'twice', '--argstr', 'sleep', '1']
    const [a, b] = await Promise.all([client(ws!, ts!, 'nix-build', args), client(ws!, ts!, 'nix-build', args)])
    assert.equal(a.code, 0, a.stderr)
    assert.equal(b.code, 0, b.stderr)
    assert.equal(a.stdout, b.stdout)
    const built = [a, b].filter(r => /building '.*many-0\.drv'/.test(r.stderr)).length
    assert.equal(built, 1, `one client saw the build:\n${a.stderr}\n----\n${b.stderr}`)
    const drv = (await client(ws!, ts!, 'nix-instantiate', args.slice(1))).stdout.trim()
    assert.equal((await client(ws!, ts!, 'nix-store', ['-l', drv])).stdout, '')
    void readFileSync
  })
})
