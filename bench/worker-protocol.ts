/**
 * Worker-protocol benchmarks: the same client (our WorkerClient) drives a tsnix daemon and
 * C++ `nix-daemon --stdio` 2.8 (private store under the scratch dir), both as child processes on
 * stdio pipes, so transport and client are identical and the daemon side is what differs.
 * Caveat in every note: the tsnix daemon runs over the in-memory store double (no SQLite, no
 * disk), so these bound the protocol layer's cost rather than compare whole daemons.
 * Plus a codec-only workload (decoding every capture) with no C++ counterpart.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NixHash, type PathInfo, StorePath } from '../src/store-path/index.js'
import { decodeTranscript, WorkerClient } from '../src/worker-protocol/index.js'
import { fixture, nix28 } from '../test/support/env.js'
import { narOfFile } from '../test/support/memory-store.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'worker-protocol'

const here = dirname(fileURLToPath(import.meta.url))

async function daemon(kind: 'tsnix' | 'cpp', tmp: string): Promise<WorkerClient> {
  const child = kind === 'tsnix'
    ? spawn(process.execPath, [join(here, '_worker-protocol-daemon.js')], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn('nix-daemon', ['--stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, NIX_REMOTE: `local?root=${join(tmp, 'cpp-store')}`, NIX_CONF_DIR: join(tmp, 'conf') } })
  const c = await WorkerClient.fromStreams(child.stdout!, child.stdin!, {}, () => { child.stdin!.end(); child.kill() })
  await c.setOptions()
  return c
}

async function time(f: () => Promise<void>, reps = 5): Promise<number> {
  const t: number[] = []
  for (let i = 0; i < reps; i++) {
    const s = process.hrtime.bigint()
    await f()
    t.push(Number(process.hrtime.bigint() - s) / 1e9)
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!
}

function info(path: StorePath, nar: Uint8Array): PathInfo {
  return { path, deriver: undefined, narHash: NixHash.of('sha256', nar), references: [], registrationTime: 0, narSize: nar.length, ultimate: false, sigs: [], ca: undefined }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  mkdirSync(join(opts.tmpDir, 'conf'), { recursive: true })
  writeFileSync(join(opts.tmpDir, 'conf', 'nix.conf'), 'build-users-group =\nsandbox = false\nsubstituters =\nfsync-metadata = false\n')
  const haveCpp = nix28() !== undefined
  const rounds = opts.quick ? 1000 : 5000
  const narMiB = opts.quick ? 8 : 32
  const bigNar = narOfFile(new Uint8Array(narMiB * 1024 * 1024).fill(0x61))

  const measure = async (kind: 'tsnix' | 'cpp'): Promise<{ rt: number; up: number; down: number }> => {
    const c = await daemon(kind, opts.tmpDir)
    const q = StorePath.fromBaseName('11111111111111111111111111111111-missing')
    // warm up: a daemon runs for a long time, so measure it JIT-compiled
    for (let i = 0; i < 3000; i++) await c.isValidPath(q)
    const rt = await time(async () => { for (let i = 0; i < rounds; i++) await c.isValidPath(q) })
    let n = 0
    const up = await time(async () => {
      const path = StorePath.fromBaseName(`0000000000000000000000000000000${n++}-big`)
      await c.addToStoreNar({ ...info(path, bigNar) }, bigNar, { dontCheckSigs: true })
    })
    const down = await time(async () => { let got = 0; await c.narFromPath(StorePath.fromBaseName('00000000000000000000000000000000-big'), ch => { got += ch.length }); if (got !== bigNar.length) throw new Error('short NAR') })
    c.close()
    return { rt, up, down }
  }

  const ts = await measure('tsnix')
  const cpp = haveCpp ? await measure('cpp') : undefined
  const note = 'tsnix daemon over the in-memory store double; C++ over SQLite and disk'
  const m = (seconds: number, label: string, extra?: Record<string, number>): Measurement => ({ seconds, label, ...(extra ? { extra } : {}) })
  out.push({ workload: `${rounds} IsValidPath round trips (stdio)`, tsnix: m(ts.rt, 'tsnix daemon', { opsPerSec: Math.round(rounds / ts.rt) }), cpp: cpp && m(cpp.rt, 'nix-daemon 2.8', { opsPerSec: Math.round(rounds / cpp.rt) }), note })
  out.push({ workload: `AddToStoreNar of a ${narMiB} MiB NAR (framed upload + sha256 check)`, tsnix: m(ts.up, 'tsnix daemon', { MBps: Math.round(bigNar.length / 1e6 / ts.up) }), cpp: cpp && m(cpp.up, 'nix-daemon 2.8', { MBps: Math.round(bigNar.length / 1e6 / cpp.up) }), note })
  out.push({ workload: `NarFromPath of a ${narMiB} MiB NAR`, tsnix: m(ts.down, 'tsnix daemon', { MBps: Math.round(bigNar.length / 1e6 / ts.down) }), cpp: cpp && m(cpp.down, 'nix-daemon 2.8', { MBps: Math.round(bigNar.length / 1e6 / cpp.down) }), note })

  // codec only: decode every capture conversation
  const root = fixture('captures')
  if (root) {
    const pairs: Array<[Uint8Array, Uint8Array]> = []
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p2 = join(d, f)
        if (statSync(p2).isDirectory()) walk(p2)
        else if (f.endsWith('.c2d.bin')) pairs.push([new Uint8Array(readFileSync(p2)), new Uint8Array(readFileSync(p2.replace('.c2d.bin', '.d2c.bin')))])
      }
    }
    walk(root)
    const bytes = pairs.reduce((a, [x, y]) => a + x.length + y.length, 0)
    const reps = opts.quick ? 20 : 100
    const s = await time(async () => { for (let i = 0; i < reps; i++) for (const [c2d, d2c] of pairs) decodeTranscript(c2d, d2c) })
    out.push({ workload: `decode all ${pairs.length} captured conversations ×${reps} (codecs only)`, tsnix: m(s, 'tsnix codecs', { MBps: Math.round((bytes * reps) / 1e6 / s) }), note: 'no C++ counterpart' })
  }
  return out
}
