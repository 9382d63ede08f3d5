/**
 * Runs a list of steps with one client against one daemon and records, per step, the normalised
 * stdout, the exit status and (where asked) a snapshot of the store on disk.
 */
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Client, type Daemon, normalise, snapshotStore, type StoreSnapshot, type Workspace } from './harness.js'
import type { Step, StepContext } from './scenario.js'

export interface StepResult {
  stdout: string
  status: number
  stderr: string
  snapshot?: StoreSnapshot
}

export interface ScenarioRun {
  steps: Map<string, StepResult>
  final: StoreSnapshot
  /** Snapshots of the client-side local stores the scenario made (`src`, `dst` under the run). */
  extra: Record<string, StoreSnapshot>
  daemonLog: string
  root: string
}

export async function runSteps(ws: Workspace, steps: readonly Step[], inputs: string, runDir: string, client: Client, daemon: Pick<Daemon, 'root' | 'log'>): Promise<ScenarioRun> {
  const replacements: Array<[string, string]> = [
    [runDir, '<run>'], [inputs, '<in>'],
  ]
  const ctx: StepContext = { client, inputs, runDir, vars: new Map() }
  const results = new Map<string, StepResult>()
  for (const step of steps) {
    if (step.only && !step.only.includes(client.version)) continue
    let r: StepResult
    try {
      if (step.host) r = { stdout: normalise(step.host(ctx), replacements), status: 0, stderr: '' }
      else {
        const out = await client.run(step.argv!(ctx), {
          ...(step.stdin ? { stdin: step.stdin(ctx) } : {}),
          ...(step.inInputs ? { cwd: inputs } : {}),
        })
        let stdout = normalise(out.stdout.toString('latin1'), replacements)
        if (step.normaliseOut) stdout = step.normaliseOut(stdout)
        if (step.unordered) stdout = stdout.split('\n').filter(Boolean).sort().join('\n')
        r = { stdout, status: out.status, stderr: normalise(out.stderr, replacements) }
        if (step.capture && out.status === 0) ctx.vars.set(step.capture, out.stdout.toString('utf8').trim())
      }
    } catch (e) {
      r = { stdout: '', status: -1, stderr: `harness: ${(e as Error).message}` }
    }
    if (step.snapshot) {
      try { r.snapshot = snapshotStore(daemon.root, replacements) } catch (e) { r.stderr += `\nharness: no snapshot: ${(e as Error).message}` }
    }
    results.set(step.name, r)
  }
  // A readable record of the run (kept with TSNIX_KEEP_DAEMON_RUNS=1).
  writeFileSync(join(runDir, 'transcript.txt'), [...results].map(([name, r]) => `### ${name} (status ${r.status})\n${r.stdout}\n--- stderr\n${r.stderr}`).join('\n'))
  const extra: Record<string, StoreSnapshot> = {}
  for (const name of ['src', 'dst']) if (existsSync(join(runDir, name, 'nix', 'var', 'nix', 'db'))) extra[name] = snapshotStore(join(runDir, name), replacements)
  return { steps: results, final: snapshotStore(daemon.root, replacements), extra, daemonLog: daemon.log(), root: daemon.root }
}

/** Assert two store snapshots are equal, with a readable account of what differs. */
export function assertSameStore(actual: StoreSnapshot, expected: StoreSnapshot, what: string): void {
  const same = (a: string[] | undefined, b: string[] | undefined) => a !== undefined && b !== undefined && a.join('\n') === b.join('\n')
  const diffFiles = Object.keys({ ...actual.files, ...expected.files }).filter(k => !same(actual.files[k], expected.files[k]))
  if (diffFiles.length > 0) {
    const list = (l: string[] | undefined) => (l ? l.join('\n    ') : '(absent)')
    const detail = diffFiles.slice(0, 5).map(k => `  ${k}\n   tsnix:\n    ${list(actual.files[k])}\n   C++:\n    ${list(expected.files[k])}`).join('\n')
    assert.fail(`${what}: store directory entries differ:\n${detail}`)
  }
  assert.deepEqual(actual.paths, expected.paths, `${what}: valid paths (database) differ`)
  assert.deepEqual(actual.derivationOutputs, expected.derivationOutputs, `${what}: derivation outputs differ`)
  assert.deepEqual(actual.autoRoots, expected.autoRoots, `${what}: gcroots/auto differ`)
}
