/**
 * Acceptance 3 of issue 4, ssh-ng part: the same comparison as differential.test.ts over
 * `--store ssh-ng://localhost` (no SetOptions; NarFromPath, AddToStoreNar, AddMultipleToStore),
 * with `tsnix daemon --stdio` as the remote program against C++ `nix-daemon --stdio`.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { isRoot, nix28, referenceNix, skipBecause, which } from '../../support/env.js'
import { type ClientVersion, type DaemonKind, makeClient, startSshNg, Workspace } from './harness.js'
import { writeInputs } from './inputs.js'
import { assertSameStore, runSteps, type ScenarioRun } from './run-scenario.js'
import { sshNgScenario } from './scenario.js'

const keep = process.env['TSNIX_KEEP_DAEMON_RUNS'] === '1'

for (const version of ['2.8', '2.34'] as ClientVersion[]) {
  describe(`golden/daemon: Nix ${version} client over ssh-ng://localhost, tsnix daemon --stdio vs C++ nix-daemon --stdio ${version}`, function () {
    this.timeout(600_000)
    const runs = new Map<DaemonKind, ScenarioRun>()
    let ws: Workspace | undefined

    before(async function () {
      if (!nix28()) skipBecause(this, 'C++ Nix 2.8 is not installed')
      if (version === '2.34' && (!referenceNix() || !isRoot)) skipBecause(this, 'reference Nix 2.34 (and root for its chroot) is not available')
      if (version === '2.34' && !which('systemd-socket-activate')) skipBecause(this, 'systemd-socket-activate is not installed')
      ws = Workspace.create(`tsnix-daemon-sshng-${version}`)
      const inputs = writeInputs(join(ws.dir, 'in'))
      if (!inputs.haveCaptures) skipBecause(this, 'captures/files not found')
      for (const kind of ['cpp', 'tsnix'] as DaemonKind[]) {
        const runDir = join(ws.dir, `run-${kind}`)
        const d = await startSshNg(ws, runDir, kind, version)
        try {
          const client = makeClient(ws, runDir, version, d.store)
          runs.set(kind, await runSteps(ws, sshNgScenario, inputs.dir, runDir, client, { root: d.root, log: () => '' }))
        } finally {
          await d.stop()
        }
      }
    })
    after(() => { if (!keep) ws?.remove(); else if (ws) console.log(`kept ${ws.dir}`) })

    for (const step of sshNgScenario) {
      if (step.only && !step.only.includes(version)) continue
      it(step.name, function () {
        const cpp = runs.get('cpp')?.steps.get(step.name)
        const ts = runs.get('tsnix')?.steps.get(step.name)
        assert.ok(cpp && ts, 'both runs recorded the step')
        assert.equal(cpp.status, step.expect ?? 0, `C++ exit status (stderr: ${cpp.stderr.slice(-800)})`)
        assert.equal(ts.status, cpp.status, `exit status; tsnix stderr: ${ts.stderr.slice(-800)}`)
        assert.equal(ts.stdout, cpp.stdout, 'stdout')
        if (step.snapshot) assertSameStore(ts.snapshot ?? assert.fail('no tsnix snapshot'), cpp.snapshot ?? assert.fail('no C++ snapshot'), `store after '${step.name}'`)
      })
    }

    it('the resulting store', function () {
      const cpp = runs.get('cpp')
      const ts = runs.get('tsnix')
      assert.ok(cpp && ts)
      assertSameStore(ts.final, cpp.final, 'final store')
      // the copy made from the daemon with NarFromPath
      assertSameStore(ts.extra['dst']!, cpp.extra['dst']!, 'store copied to with nix copy --to')
    })
  })
}
