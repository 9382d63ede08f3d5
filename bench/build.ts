/**
 * Per-build overhead of a trivial derivation, end to end through the daemon (issue 5,
 * acceptance 6): 30 independent one-`echo` derivations are instantiated (untimed), then
 * `nix-store --realise` of all 30 is timed; seconds per build, median of the repetitions.
 * The same stock client (Nix 2.8's, on the host; Nix 2.34's in the reference tree for the
 * 2.34 daemon) talks to `tsnix daemon`, to C++ nix-daemon 2.8 and to C++ nix-daemon 2.34,
 * each on a fresh store, with the sandbox on (chroot store, busybox as builder and /bin/sh)
 * and off (an unrelocated store), `--max-jobs 1`, no build users.
 *
 * tsnix's sandboxed builds use the warm runc slots (src/sandbox/warm.ts); a cold `runc run`
 * per build costs ~45 ms here. CPU time of the daemon process is not included (wall only).
 *
 *   npm run bench -- build [--quick]
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { findRunc } from '../src/sandbox/index.js'
import { nix28, referenceNix } from '../test/support/env.js'
import { repoRoot } from '../test/support/paths.js'
import { findStaticBusybox } from '../test/support/sandbox.js'
import { client, type Daemon, makeWorkspace, startDaemon, type Version, type Workspace } from '../test/golden/build/harness.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'build'

const N = 30

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

let nonce = 0

/** Seconds per build: realise N fresh trivial derivations through `d`. */
async function perBuild(ws: Workspace, d: Daemon, clientVersion: Version): Promise<number> {
  const c: Daemon = { ...d, version: clientVersion }
  const inst = await client(ws, c, 'nix-instantiate', [`${ws.view}/build-trivial.nix`, '--argstr', 'bb', ws.busybox, '--arg', 'n', String(N), '--argstr', 'nonce', `${Date.now()}-${nonce++}`])
  if (inst.code !== 0) throw new Error(`nix-instantiate failed: ${inst.stderr}`)
  const drvs = inst.stdout.trim().split('\n')
  const t0 = process.hrtime.bigint()
  const r = await client(ws, c, 'nix-store', ['--realise', '--max-jobs', '1', ...drvs])
  const dt = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.code !== 0) throw new Error(`nix-store --realise failed (${d.name}): ${r.stderr.slice(-2000)}`)
  return dt / N
}

async function measure(ws: Workspace, impl: 'cpp' | 'tsnix', version: Version, sandbox: boolean, reps: number): Promise<Measurement> {
  const d = await startDaemon(ws, impl, version, { sandbox, tag: sandbox ? '-on' : '-off' })
  // Unsandboxed C++ 2.34 builds leave `/homeless-shelter/.cache` behind in the tree, and then
  // refuse to build ("home directory … exists"): remove it between runs if we made it.
  const shelter = ws.tree ? join(ws.tree, 'homeless-shelter') : undefined
  const hadShelter = shelter !== undefined && existsSync(shelter)
  const tidy = () => { if (shelter && !hadShelter) rmSync(shelter, { recursive: true, force: true }) }
  try {
    await perBuild(ws, d, version) // warm-up: daemon caches, warm slots, page cache
    tidy()
    const xs: number[] = []
    for (let i = 0; i < reps; i++) { xs.push(await perBuild(ws, d, version)); tidy() }
    return { seconds: median(xs), label: `${impl === 'tsnix' ? 'tsnix daemon' : `C++ nix-daemon ${version}`}, ${version} client`, extra: { min_ms: Math.round(Math.min(...xs) * 1e4) / 10, max_ms: Math.round(Math.max(...xs) * 1e4) / 10 } }
  } finally {
    await d.stop()
    tidy()
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const bb = findStaticBusybox()
  if (process.getuid?.() !== 0 || !findRunc() || !bb || !nix28()) {
    return [{ workload: 'trivial build through the daemon', tsnix: { seconds: NaN, label: 'skipped' }, note: 'needs root, runc, a static busybox and Nix 2.8' }]
  }
  const ref = referenceNix()
  const reps = opts.quick ? 2 : 5
  const ws = makeWorkspace(ref?.root, bb)
  copyFileSync(join(repoRoot, 'bench', 'build-trivial.nix'), join(ws.host, 'build-trivial.nix'))
  const out: BenchResult[] = []
  try {
    for (const sandbox of [true, false]) {
      const mode = sandbox ? 'sandbox on' : 'sandbox off'
      // tsnix is driven by the 2.8 client (host); with the tree present also by the 2.34 client.
      const ts28 = await measure(ws, 'tsnix', '2.8', sandbox, reps)
      const cpp28 = await measure(ws, 'cpp', '2.8', sandbox, reps)
      out.push({ workload: `trivial build per derivation, ${mode} (${N} builds, -j1, 2.8 client)`, tsnix: ts28, cpp: cpp28 })
      if (ref) {
        const ts34 = await measure(ws, 'tsnix', '2.34', sandbox, reps)
        const cpp34 = await measure(ws, 'cpp', '2.34', sandbox, reps)
        out.push({ workload: `trivial build per derivation, ${mode} (${N} builds, -j1, 2.34 client)`, tsnix: ts34, cpp: cpp34 })
      }
    }
  } finally {
    ws.cleanup()
  }
  return out
}
