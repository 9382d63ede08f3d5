/**
 * Daemon CPU per op, A/B: the `daemon` module's wall-time ratios swing ±20–30% on a shared
 * machine, more than most single changes are worth; the daemon's own CPU time per op, taken
 * from /proc over many interleaved runs, resolves about ±5%. Not a bench module (no ratio to C++
 * unless asked): a helper for comparing builds while working on the daemon.
 *
 *   node dist/bench/_daemon-ops.js [--op add|nar|qpi] [--n 1000] [--warm 3000] [--rounds 4]
 *                                  [--cpp] [DIST...]
 *
 * Each DIST is a built tree's `dist` directory (default: this one). Per round, for each DIST (and
 * C++ nix-daemon 2.8 with --cpp) in turn: a fresh daemon on a fresh chroot store in
 * TSNIX_BENCH_TMP (default /dev/shm, away from the ext4 inode-allocator effect described in
 * README.md), `--warm` ops untimed (V8 tiers the code up), then 3 × `--n` ops on one connection
 * through WorkerClient: `add` = AddToStore of a one-file NAR (what `nix-store --add` sends),
 * `nar` = AddToStoreNar (what `nix-store --import` sends), `qpi` = QueryPathInfo of one path.
 * Prints the median over all repetitions of µs per op: wall, daemon user, daemon system.
 * TSNIX_BENCH_DAEMON_NODE_ARGS (as for the `daemon` module, e.g. '--cpu-prof --cpu-prof-dir=DIR')
 * is passed to each tsnix daemon's node.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodeNix32, NixHash, StorePath, StoreDir } from '../src/store-path/index.js'
import { WorkerClient } from '../src/worker-protocol/index.js'
import { narOfFile } from '../test/support/memory-store.js'
import { cpuSeconds, daemonNodeArgs, startDaemon } from './_daemon-harness.js'

const args = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1]! : def }
const op = opt('--op', 'add')
const n = Number(opt('--n', op === 'qpi' ? '10000' : '1000'))
const warm = Number(opt('--warm', op === 'qpi' ? '5000' : '3000'))
const rounds = Number(opt('--rounds', '4'))
const withCpp = args.includes('--cpp')
const dists = args.filter(a => !a.startsWith('--'))
if (dists.length === 0) dists.push(resolve(dirname(fileURLToPath(import.meta.url)), '..'))
if (!['add', 'nar', 'qpi'].includes(op)) throw new Error(`--op: expected add, nar or qpi, got '${op}'`)

const enc = new TextEncoder()
const sd = new StoreDir()
let unique = 0

function freshPath(tag: string): StorePath {
  const h = encodeNix32(NixHash.of('sha256', `${tag} ${process.pid} ${unique}`).digest.slice(0, 20))
  return sd.parse(`${sd.path}/${h}-${tag}${unique}`)
}

/** `count` ops of the chosen kind; each op adds a path never seen before (or queries `target`). */
async function ops(c: WorkerClient, count: number, target: StorePath | undefined): Promise<void> {
  for (let i = 0; i < count; i++) {
    unique++
    if (op === 'qpi') { await c.queryPathInfo(target!); continue }
    const nar = narOfFile(enc.encode(`${op} ${process.pid} ${unique}\n`))
    if (op === 'add') { await c.addToStore(`f${unique}`, { method: 'nar', algo: 'sha256' }, [], nar); continue }
    const info = { path: freshPath('n'), deriver: undefined, narHash: NixHash.of('sha256', nar), references: [], registrationTime: 0, narSize: nar.length, ultimate: false, sigs: [], ca: undefined }
    await c.addToStoreNar(info, nar, { dontCheckSigs: true })
  }
}

async function round(which: string): Promise<Array<[number, number, number]>> {
  const dir = mkdtempSync(join(process.env['TSNIX_BENCH_TMP'] ?? '/dev/shm', 'tsnix-daemon-ops-'))
  const d = await startDaemon(which === 'cpp' ? 'cpp' : { main: join(which, 'src', 'cli', 'main.js'), nodeArgs: daemonNodeArgs() }, dir)
  // µs of CPU, the connection's nix-daemon child included (it stays open across repetitions)
  const cpu = (): [number, number] => { const t = cpuSeconds(d.child.pid, { live: true }); return [t.user * 1e6, t.sys * 1e6] }
  const out: Array<[number, number, number]> = []
  try {
    const c = await WorkerClient.connect(d.socket)
    try {
      await c.setOptions()
      let target: StorePath | undefined
      if (op === 'qpi') {
        const r = await c.addToStore('target', { method: 'nar', algo: 'sha256' }, [], narOfFile(enc.encode('target\n')))
        target = r instanceof StorePath ? r : r.path
      }
      await ops(c, warm, target)
      for (let rep = 0; rep < 3; rep++) {
        const c0 = cpu()
        const t0 = performance.now()
        await ops(c, n, target)
        const wall = (performance.now() - t0) * 1000
        await new Promise(r => setTimeout(r, 100)) // let the last op's CPU land in /proc
        const c1 = cpu()
        out.push([wall / n, (c1[0] - c0[0]) / n, (c1[1] - c0[1]) / n])
      }
    } finally { c.close() }
  } finally {
    await d.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  return out
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const sides = [...dists, ...(withCpp ? ['cpp'] : [])]
const results = new Map<string, Array<[number, number, number]>>(sides.map(s => [s, []]))
for (let r = 0; r < rounds; r++) for (const s of sides) results.get(s)!.push(...await round(s))
console.log(`${op}: ${n} ops × 3 × ${rounds} rounds after ${warm} warm-up ops; medians, µs per op`)
for (const [s, xs] of results) {
  const col = (i: 0 | 1 | 2) => median(xs.map(x => x[i])).toFixed(0).padStart(6)
  console.log(`  wall ${col(0)}  daemon user ${col(1)}  sys ${col(2)}   ${s === 'cpp' ? 'nix-daemon 2.8' : s}`)
}
