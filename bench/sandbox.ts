/**
 * Per-build overhead of the sandbox (issue acceptance 6), the method of build-sandbox.md
 * §3.3: N independent trivial derivations (`echo … > $out`, builder /bin/sh = static
 * busybox), prepared untimed, then built and timed; seconds per build, median of the
 * repetitions. tsnix: the warm-slot pool, one `runc run` per build (cold), and no sandbox;
 * C++ Nix: `nix-store --realise` with sandbox on/off, no build users, 2.34.8 (reference tree,
 * when set up) and 2.8.0 (Debian). Also runc's own costs (run; create/start/delete split).
 *
 * tsnix's time covers request → sandbox → builder → output canonicalised → scratch removed;
 * C++ Nix's also covers hashing and registering the output in its database (our glue for
 * that is not written yet), so the comparison slightly favours tsnix.
 *
 * Needs root, runc, a static busybox; Nix parts are skipped when absent.
 *   npm run bench -- sandbox [--quick]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type BuildRequest, canonicalise, ColdRunner, DirectRunner, ensureHelper, ensureRootfs, findRunc, makeSpec, prepareScratch, rootfsMountPoints, Runc,
  type SandboxRunner, UidPool, WarmPool, writeBundle,
} from '../src/sandbox/index.js'
import { findStaticBusybox, simpleRequest } from '../test/support/sandbox.js'
import { referenceNix } from '../test/support/env.js'
import { sharedRoot } from '../test/support/paths.js'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'sandbox'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const ms = (s: number): number => Math.round(s * 10000) / 10

let nonceCounter = 0
function trivialRequests(n: number, busybox: string, extra: Partial<Parameters<typeof simpleRequest>[1]> = {}): BuildRequest[] {
  const batch = nonceCounter++
  const nonce = `${Date.now()}-${batch}`
  // The batch number is part of the name and so of the (made-up) output path: no reuse across reps.
  return Array.from({ length: n }, (_, i) => simpleRequest({ name: `t${batch}-${i}`, script: `echo ${nonce}-${i} > $out` }, { busybox, ...extra }))
}

/** Seconds per build for `reqs` on `runner` with `jobs` concurrent builds. */
async function timeBuilds(runner: SandboxRunner, reqs: BuildRequest[], jobs: number): Promise<number> {
  let next = 0
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: jobs }, async () => {
    while (next < reqs.length) {
      const r = reqs[next++]!
      const b = await runner.build(r)
      if (b.outcome.exitCode !== 0 || !b.outcome.outputs[0]!.exists) throw new Error(`bench build failed: ${JSON.stringify(b.outcome)}`)
      await canonicalise(b.outcome.outputs[0]!.hostPath)
      await b.cleanup()
    }
  }))
  return Number(process.hrtime.bigint() - t0) / 1e9 / reqs.length
}

interface NixTimes { version: string; perBuild: Map<string, number> } // key `${conf}-j${jobs}`

function nixConf(dir: string, busybox: string, sandbox: boolean): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'nix.conf'), `sandbox = ${sandbox}\nsandbox-paths = /bin/sh=${busybox}\nbuild-users-group =\nsubstituters =\ncores = 1\n`)
}

/** Debian's Nix 2.8 against an isolated store. */
function nix28(tmp: string, busybox: string, n: number, reps: number, jobs: number[]): NixTimes | undefined {
  if (spawnSync('nix-store', ['--version']).status !== 0) return undefined
  const version = execFileSync('nix-store', ['--version'], { encoding: 'utf8' }).trim().split(' ').pop()!
  const root = join(tmp, 'nix28')
  for (const c of ['on', 'off']) nixConf(join(root, `conf-${c}`), busybox, c === 'on')
  const trivial = join(sharedRoot, 'tools', 'sandbox-probe', 'trivial.nix')
  const samples = new Map<string, number[]>()
  for (let rep = 0; rep < reps; rep++) {
    for (const conf of ['off', 'on']) {
      for (const j of jobs) {
        const env = { ...process.env, NIX_STORE_DIR: join(root, 'store'), NIX_STATE_DIR: join(root, 'var'), NIX_LOG_DIR: join(root, 'log'), NIX_CONF_DIR: join(root, `conf-${conf}`), NIX_REMOTE: 'local' }
        const drvs = execFileSync('nix-instantiate', [trivial, '--arg', 'n', String(n), '--argstr', 'nonce', `${Date.now()}-${conf}-${j}-${rep}`], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')
        const t0 = process.hrtime.bigint()
        execFileSync('nix-store', ['--realise', ...drvs, '--max-jobs', String(j)], { env, stdio: 'ignore' })
        const k = `${conf}-j${j}`
        samples.set(k, [...(samples.get(k) ?? []), Number(process.hrtime.bigint() - t0) / 1e9 / n])
      }
    }
  }
  return { version, perBuild: new Map([...samples].map(([k, v]) => [k, median(v)])) }
}

/** Nix 2.34 in the reference tree, entered with pivot_root (a chroot would disable its sandbox). */
function nix234(busybox: string, n: number, reps: number, jobs: number[]): NixTimes | undefined {
  const ref = referenceNix()
  const inTree = join(sharedRoot, 'tools', 'sandbox-probe', 'in-tree.sh')
  if (!ref || !existsSync(inTree)) return undefined
  const rel = `tmp/tsnix-bench-sandbox-${process.pid}`
  const dir = join(ref.root, rel)
  try {
    mkdirSync(dir, { recursive: true })
    cpSync(busybox, join(dir, 'busybox'))
    cpSync(join(sharedRoot, 'tools', 'sandbox-probe', 'trivial.nix'), join(dir, 'trivial.nix'))
    for (const c of ['on', 'off']) nixConf(join(dir, `conf-${c}`), `/${rel}/busybox`, c === 'on')
    writeFileSync(join(dir, 'bench.sh'), `set -eu
D=/${rel}
export NIX_STORE_DIR=$D/store NIX_STATE_DIR=$D/var NIX_LOG_DIR=$D/log NIX_REMOTE=local
echo "version $(nix-store --version | sed 's/.* //')"
for rep in $(seq ${reps}); do for conf in off on; do for j in ${jobs.join(' ')}; do
  export NIX_CONF_DIR=$D/conf-$conf
  drvs=$(nix-instantiate $D/trivial.nix --arg n ${n} --argstr nonce "$(date +%s%N)-$conf-$j" 2>/dev/null)
  t0=$(date +%s%N); nix-store --realise --max-jobs $j $drvs > /dev/null 2>&1; t1=$(date +%s%N)
  echo "$conf-j$j $(( t1 - t0 ))"
done; done; done
`)
    const out = execFileSync('sh', [inTree, `sh /${rel}/bench.sh`], { env: { ...process.env, TREE: ref.root, OLD: `tmp/.in-tree-oldroot-${process.pid}` }, encoding: 'utf8' })
    const version = /^version (\S+)/m.exec(out)?.[1] ?? '2.3x'
    const samples = new Map<string, number[]>()
    for (const m of out.matchAll(/^(\S+-j\d+) (\d+)$/gm)) samples.set(m[1]!, [...(samples.get(m[1]!) ?? []), Number(m[2]) / 1e9 / n])
    return { version, perBuild: new Map([...samples].map(([k, v]) => [k, median(v)])) }
  } catch (e) {
    console.log(`  Nix in the reference tree failed: ${(e as Error).message.split('\n')[0]}`)
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** runc alone: `runc run` of a /bin/true container with the Nix-like spec, and the create/start/delete split. */
async function runcMicro(tmp: string, busybox: string, reps: number): Promise<Measurement> {
  const root = join(tmp, 'micro')
  const runc = new Runc(findRunc()!, join(root, 'runc'))
  const pool = new UidPool({ lockDir: join(root, 'userpool') })
  const lease = pool.acquire()
  try {
    const req = simpleRequest({ name: 'true', script: '' , builder: '/bin/true' }, { busybox, sandboxPaths: [{ target: '/bin/true', source: busybox }] })
    const extra = [{ target: '/bin/sh', source: busybox, dir: false }, { target: '/bin/true', source: busybox, dir: false }]
    const scratch = await prepareScratch(req, join(root, 'b'), lease.ids, extra)
    const rootfs = await ensureRootfs(join(root, 'rootfs'), req.etc, rootfsMountPoints(req, extra))
    const bundle = join(root, 'b', 'bundle')
    await writeBundle(bundle, makeSpec({ ...req, extraMounts: extra }, { rootfs, scratch: scratch.dirs, ids: lease.ids }))
    const t = (f: () => void): number => { const t0 = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t0) / 1e6 }
    const cmd = (...a: string[]): void => { const r = spawnSync(runc.binary, ['--root', runc.stateRoot, ...a], { stdio: 'ignore' }); if (r.status !== 0) throw new Error(`runc ${a[0]} failed`) }
    const run: number[] = [], create: number[] = [], start: number[] = [], del: number[] = []
    for (let i = 0; i < reps; i++) {
      run.push(t(() => cmd('run', '--bundle', bundle, `micro-${i}`)))
      create.push(t(() => cmd('create', '--bundle', bundle, `micro-c${i}`)))
      start.push(t(() => cmd('start', `micro-c${i}`)))
      // Wait until the init has exited (the state file then says stopped), untimed.
      for (let k = 0; k < 500 && !/"status":\s*"stopped"/.test(spawnSync(runc.binary, ['--root', runc.stateRoot, 'state', `micro-c${i}`], { encoding: 'utf8' }).stdout); k++) await new Promise(r => setTimeout(r, 2))
      del.push(t(() => cmd('delete', `micro-c${i}`)))
    }
    return { seconds: median(run) / 1000, label: 'runc run (ms→s), Nix-like spec, /bin/true', extra: { run_ms: median(run), create_ms: median(create), start_ms: median(start), delete_ms: median(del) } }
  } finally {
    lease.release()
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const busybox = findStaticBusybox()
  if (process.getuid?.() !== 0 || !findRunc() || !busybox) {
    console.log('  skipped: needs root, runc and a static busybox')
    return []
  }
  const n = opts.quick ? 10 : 30
  const reps = opts.quick ? 1 : 3
  const tmp = opts.tmpDir
  chmodSync(tmp, 0o755) // runc's init walks through it as an unprivileged id
  const results: BenchResult[] = []

  const n234 = nix234(busybox, n, reps, [1, 2])
  const n28 = nix28(tmp, busybox, n, reps, [1, 2])
  const cpp = (key: string): Measurement | undefined => {
    const main = n234 ?? n28
    if (!main) return undefined
    const extra: Record<string, number> = {}
    for (const x of [n234, n28]) if (x && x.perBuild.has(key)) extra[`nix_${x.version}_ms_per_build`] = ms(x.perBuild.get(key)!)
    return { seconds: main.perBuild.get(key)!, label: `nix-store --realise ${main.version}, ${key.replace('-j', ', -j')} (per build)`, extra }
  }
  const noteNix = n234 ? '' : ' (reference Nix 2.34 not set up: compared with 2.8)'

  const helper = await ensureHelper()
  const pool = new UidPool({ lockDir: join(tmp, 'userpool') })
  for (const jobs of [1, 2]) {
    if (helper) {
      const warm = new WarmPool({ root: join(tmp, `warm${jobs}`), expose: [busybox], slots: jobs, pool })
      const t0 = process.hrtime.bigint()
      await warm.prestart(jobs)
      const startMs = Number(process.hrtime.bigint() - t0) / 1e6
      const times: number[] = []
      try {
        for (let r = 0; r < reps; r++) times.push(await timeBuilds(warm, trivialRequests(n, busybox), jobs))
      } finally {
        await warm.close()
      }
      results.push({
        workload: `${n} trivial builds, sandboxed, -j${jobs}: warm slots (no runc per build)`,
        tsnix: { seconds: median(times), label: `tsnix warm pool, ${jobs} slot(s) (per build)`, extra: { ms_per_build: ms(median(times)), slot_start_ms: Math.round(startMs) } },
        cpp: cpp(`on-j${jobs}`),
        note: `slot startup excluded (once per daemon)${noteNix}`,
      })
    }
    const cold = new ColdRunner({ root: join(tmp, `cold${jobs}`), pool })
    const times: number[] = []
    for (let r = 0; r < reps; r++) times.push(await timeBuilds(cold, trivialRequests(n, busybox), jobs))
    results.push({
      workload: `${n} trivial builds, sandboxed, -j${jobs}: one runc run per build`,
      tsnix: { seconds: median(times), label: 'tsnix cold runner (per build)', extra: { ms_per_build: ms(median(times)) } },
      cpp: cpp(`on-j${jobs}`),
      ...(noteNix ? { note: noteNix.trim() } : {}),
    })
  }

  // Sandbox off: builders run as a pool build uid straight into a 1775 store dir.
  const lease = pool.acquire()
  try {
    const storeDir = join(tmp, 'direct', 'store')
    mkdirSync(storeDir, { recursive: true })
    chownSync(storeDir, 0, lease.ids.buildGid)
    chmodSync(storeDir, 0o1775)
    const direct = new DirectRunner()
    const times: number[] = []
    for (let r = 0; r < reps; r++) {
      const reqs = trivialRequests(n, busybox, { storeDir, uid: lease.ids.buildUid, gid: lease.ids.buildGid }).map((q, i) => {
        const buildDir = join(tmp, 'direct', `build-${r}-${i}`)
        // Without a sandbox the builder sees host paths: point the env at the host build dir.
        return { ...q, buildDir, builder: '/bin/sh', env: q.env.map(([k, v]) => [k, v === '/build' ? buildDir : v] as const) }
      })
      times.push(await timeBuilds(direct, reqs, 1))
    }
    results.push({
      workload: `${n} trivial builds, sandbox off, -j1`,
      tsnix: { seconds: median(times), label: 'tsnix direct runner (per build)', extra: { ms_per_build: ms(median(times)) } },
      cpp: cpp('off-j1'),
      note: `host /bin/sh; no seccomp/no_new_privs unlike Nix${noteNix}`,
    })
  } finally {
    lease.release()
  }

  results.push({ workload: 'runc alone: run / create+start+delete of a /bin/true container', tsnix: await runcMicro(tmp, busybox, opts.quick ? 5 : 15), note: 'no C++ equivalent; extra gives the split in ms' })
  return results
}
