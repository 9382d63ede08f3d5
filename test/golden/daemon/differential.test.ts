/**
 * Acceptance 3 of issue 4: every non-building command of worker-protocol.md §7.2, run by a stock
 * client (Debian Nix 2.8 on the host, Nix 2.34 in the reference chroot) against tsnix and
 * against the C++ nix-daemon of the client's version, each on a fresh private store, gives the
 * same stdout, exit status and resulting store (paths, NAR hashes, references, deriver,
 * signatures, files on disk), ignoring only times.
 *
 * Expected values are whatever C++ does in the same run; `expect` in the scenario pins the exit
 * status C++ gives, so a step both daemons fail by accident is noticed.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'
import { type ClientVersion, type DaemonKind, makeClient, startDaemon, Workspace } from './harness.js'
import { writeInputs } from './inputs.js'
import { assertSameStore, runSteps, type ScenarioRun } from './run-scenario.js'
import { scenario } from './scenario.js'

const keep = process.env['TSNIX_KEEP_DAEMON_RUNS'] === '1'

for (const version of ['2.8', '2.34'] as ClientVersion[]) {
  describe(`golden/daemon: Nix ${version} client, tsnix vs C++ nix-daemon ${version} (unix socket)`, function () {
    this.timeout(600_000)
    const runs = new Map<DaemonKind, ScenarioRun>()
    let ws: Workspace | undefined

    before(async function () {
      if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (nix-store, nix-daemon) is not installed')
      if (version === '2.34' && !referenceNix()) skipBecause(this, 'reference Nix 2.34 is not set up (/var/tmp/reference-nix)')
      if (version === '2.34' && !isRoot) skipBecause(this, 'the 2.34 chroot needs root')
      ws = Workspace.create(`tsnix-daemon-diff-${version}`)
      const inputs = writeInputs(join(ws.dir, 'in'))
      if (!inputs.haveCaptures) skipBecause(this, 'captures/files (trivial.nix, deps.nix, …) not found')
      for (const kind of ['cpp', 'tsnix'] as DaemonKind[]) {
        const runDir = join(ws.dir, `run-${kind}`)
        const daemon = await startDaemon(ws, runDir, kind, version)
        try {
          const client = makeClient(ws, runDir, version, `unix://${daemon.socket}?root=${daemon.root}`)
          runs.set(kind, await runSteps(ws, scenario, inputs.dir, runDir, client, daemon))
        } finally {
          await daemon.stop()
        }
      }
    })
    after(() => { if (!keep) ws?.remove(); else if (ws) console.log(`kept ${ws.dir}`) })

    for (const step of scenario) {
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
    })
  })
}
