/**
 * Crash test (issue 3, acceptance 4): 20 runs, each `kill -9`ing a process that imports paths
 * into one store at a (seeded) random moment — alternately `tsnix store import` reading an
 * export, and a `tsnix daemon` receiving `nix-store --import` from a stock C++ 2.8 client
 * (one AddToStoreNar per path). After every kill:
 *
 *  - stock `nix-store --verify --check-contents` (C++ 2.8) is clean;
 *  - no path is partially registered: every valid path has its references valid, a castore
 *    root whose rendered NAR has the recorded hash, and a materialised copy with that hash;
 *  - nothing half-written sits under a final name: every store-path entry in the store
 *    directory, valid or not, is complete (its NAR hash is the one the export says);
 *  - reopening the store removes the hidden temporary leftovers, and `tsnix store verify
 *    --check-contents` is clean.
 *
 * Each run imports its own set of paths (a chain of small paths and a few larger trees), so
 * every run has work to interrupt. The kill comes at a random point of progress, not time, so
 * that neither a busy nor a fast machine shifts the kills past the end: for the daemon, when its
 * C++ client has consumed a fraction of the export (past 90%, up to 0.3 s later); for the CLI,
 * which reads ahead, when a fraction of the paths has appeared in the store (then up to 20 ms).
 *
 * Runs 2–3 of every 4 set `fsync-store-paths = false` (no fsyncs, as C++ 2.8; small paths then
 * take the synchronous staging path): a kill -9 must leave a consistent store either way.
 *
 * The suite runs 4 runs by default (time budget); TSNIX_CRASH_RUNS=20 is the acceptance run.
 * TSNIX_CRASH_SEED changes the seed.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nullLogger } from '../../../src/logger.js'
import { collectBytes, dumpPath, encodeNarTree, narDirectory, narFile, narSymlink, type NarNode } from '../../../src/nar/index.js'
import { nativeAddon } from '../../../src/os/index.js'
import { loadSettings } from '../../../src/settings/index.js'
import { openLocalStore, type LocalStore, type OpContext } from '../../../src/store/index.js'
import { NixHash, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { nix28, skipBecause } from '../../support/env.js'
import { distRoot } from '../../support/paths.js'

const RUNS = Number(process.env['TSNIX_CRASH_RUNS'] ?? 4)
const SEED = Number(process.env['TSNIX_CRASH_SEED'] ?? 20261121)
const PATHS_PER_RUN = 80
const storeDir = new StoreDir()
const tsnixMain = join(distRoot, 'src', 'cli', 'main.js')

const ctx: OpContext = {
  trusted: true, logger: nullLogger, clientId: 'crash-test',
  settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 1, useSubstitutes: false, overrides: new Map() },
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32 }
}

async function* bytes(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }

/** The NAR of path `i` of run `run`: mostly small files, every 25th a tree with a few MiB. */
function narFor(run: number, i: number, refText: string): Uint8Array {
  const tag = `run ${run} path ${i}`
  if (i % 25 !== 7) return encodeNarTree(narFile(`${tag}\n${refText}\n`, i % 3 === 0))
  const entries: Record<string, NarNode> = { 'refs.txt': narFile(refText) }
  for (let f = 0; f < 40; f++) entries[`f${f}`] = narFile(`${tag} file ${f}\n`.repeat(1 + f * 20), f % 5 === 0)
  entries['large'] = narFile(new Uint8Array(1536 * 1024 + run).fill(i % 251))
  entries['sub'] = narDirectory({ deeper: narDirectory({ x: narFile(tag) }), l: narSymlink('../refs.txt') })
  return encodeNarTree(narDirectory(entries))
}

interface RunSet { exportFile: string; expected: Map<string, NixHash> }

/** Make each run's paths in a scratch store and export them (a chain: path i refers to i-1). */
async function prepare(work: string): Promise<RunSet[]> {
  const scratch = await openAt(join(work, 'scratch'))
  const sets: RunSet[] = []
  try {
    for (let run = 0; run < RUNS; run++) {
      const paths: StorePath[] = []
      const expected = new Map<string, NixHash>()
      for (let i = 0; i < PATHS_PER_RUN; i++) {
        const prev = paths[paths.length - 1]
        const nar = narFor(run, i, prev ? storeDir.print(prev) : '')
        const info = await scratch.addToStore(ctx, `r${run}-p${i}`, { method: 'nar', algo: 'sha256' }, prev ? [prev] : [], bytes(nar), false)
        paths.push(info.path)
        expected.set(info.path.baseName, info.narHash)
      }
      const exportFile = join(work, `run-${run}.export`)
      writeFileSync(exportFile, await collectBytes(scratch.exportPaths(paths)))
      sets.push({ exportFile, expected })
    }
  } finally {
    await scratch.close()
  }
  return sets
}

async function openAt(root: string): Promise<LocalStore> {
  const { settings, locations } = loadSettings({ env: { NIX_CONFIG: `store = local?root=${root}\nrequire-sigs = false` }, isRoot: true, readFile: () => undefined })
  return openLocalStore({ locations, settings })
}

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('NIX_')) out[k] = v
  return { ...out, ...extra }
}

/** Wait until the child exits or `ms` pass; true if it exited by itself. */
function exitedWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise(resolve => {
    const t = setTimeout(() => resolve(false), ms)
    child.once('exit', () => { clearTimeout(t); resolve(true) })
  })
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise(r => child.once('exit', r))
  child.kill('SIGKILL')
  await gone
}

/** Where the reader of an export is in it: the offset of its stdin (`/proc/PID/fdinfo/0`). */
function inputOffset(pid: number): number | undefined {
  try { return Number(/^pos:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/0`, 'utf8'))?.[1]) } catch { return undefined }
}

/** When to kill: at `fraction` of the progress (of the export read, or of the paths stored), then `extraMs` later. */
interface KillPoint { fraction: number; extraMs: number }

/**
 * Poll `progressed` until it holds, then wait `at.extraMs` more; true if `proc` was still
 * running then (false: it finished first).
 */
async function reachedPoint(proc: ChildProcess, progressed: () => boolean, at: KillPoint, pollMs: number): Promise<boolean> {
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null
  const until = Date.now() + 120_000
  while (!exited() && !progressed()) {
    if (Date.now() > until) throw new Error('the importer made no progress')
    await new Promise(r => setTimeout(r, pollMs))
  }
  if (exited()) return false
  return !(await exitedWithin(proc, at.extraMs))
}

/** The kill point of a reader of the export: once it has read `at.fraction` of its `size` bytes. */
function reachedKillPoint(reader: ChildProcess, size: number, at: KillPoint): Promise<boolean> {
  return reachedPoint(reader, () => (inputOffset(reader.pid!) ?? -1) >= at.fraction * size, at, 2)
}

/**
 * The CLI reads its input far ahead of what it commits (a 5 MiB export in a few reads), so its
 * kill point is progress in the store instead: once `at.fraction` of the run's paths (at most
 * all but one) have appeared in the store directory, then `at.extraMs` later. Time after an
 * input offset would not do: a fast importer finishes within it.
 */
function reachedStoreProgress(importer: ChildProcess, realStore: string, set: RunSet, at: KillPoint): Promise<boolean> {
  const target = Math.min(set.expected.size - 1, Math.max(1, Math.floor(at.fraction * set.expected.size)))
  const present = (): number => {
    try { return readdirSync(realStore).filter(n => set.expected.has(n)).length } catch { return 0 } // not created yet
  }
  return reachedPoint(importer, () => present() >= target, at, 1)
}

/**
 * One run: start the importer (`tsnix store import`, or a daemon and a C++ `nix-store --import`
 * client) and kill the tsnix process at the kill point.
 */
function noFsync(run: number): boolean { return (run >> 1) % 2 === 1 }

async function crashRun(mode: 'cli' | 'daemon', work: string, root: string, set: RunSet, at: KillPoint, run: number): Promise<void> {
  // Every other pair of runs without fsyncs (`fsync-store-paths = false`, C++ 2.8's behaviour,
  // which the daemon bench uses): a kill -9, unlike a power loss, must still leave a consistent store.
  const conf = `store = local?root=${root}\nrequire-sigs = false\nbuild-users-group =\nsandbox = false\nsubstituters =\n${noFsync(run) ? 'fsync-store-paths = false\n' : ''}`
  const size = statSync(set.exportFile).size
  const input = openSync(set.exportFile, 'r')
  const log = openSync(join(work, `run-${run}.log`), 'w')
  try {
    if (mode === 'cli') {
      const child = spawn(process.execPath, [tsnixMain, 'store', 'import'], { env: cleanEnv({ NIX_CONFIG: conf }), stdio: [input, 'ignore', log] })
      await reachedStoreProgress(child, join(root, 'nix', 'store'), set, at)
      await killHard(child)
      return
    }
    const socket = join(work, `daemon-${run}.sock`)
    const confDir = join(work, `conf-${run}`)
    mkdirSync(confDir, { recursive: true })
    const daemon = spawn(process.execPath, [tsnixMain, 'daemon', '--force-trusted'], { env: cleanEnv({ NIX_CONFIG: conf, NIX_CONF_DIR: confDir, NIX_DAEMON_SOCKET_PATH: socket }), stdio: ['ignore', log, log] })
    try {
      const until = Date.now() + 30_000
      while (!existsSync(socket)) {
        if (daemon.exitCode !== null || Date.now() > until) throw new Error(`the daemon did not start: ${readFileSync(join(work, `run-${run}.log`), 'utf8')}`)
        await new Promise(r => setTimeout(r, 20))
      }
      const client = spawn('nix-store', ['--import'], { env: cleanEnv({ NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: socket, NIX_CONF_DIR: confDir }), stdio: [input, 'ignore', 'ignore'] })
      await reachedKillPoint(client, size, at)
      await killHard(daemon)
      await exitedWithin(client, 10_000)
      await killHard(client)
    } finally {
      await killHard(daemon)
    }
  } finally {
    closeSync(input)
    closeSync(log)
  }
}

describe('golden: kill -9 during imports leaves a consistent store (C++ 2.8 verifies it)', function () {
  this.timeout(1_200_000)
  let work: string
  let sets: RunSet[]

  before(async function () {
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (nix-store) is not installed')
    if (!nativeAddon()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    work = mkdtempSync(join(tmpdir(), 'tsnix-crash-'))
    sets = await prepare(work)
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  it(`${RUNS} runs, each killed at a random moment`, async () => {
    const root = join(work, 'root')
    const realStore = join(root, 'nix', 'store')
    const expected = new Map<string, NixHash>()
    for (const s of sets) for (const [k, v] of s.expected) expected.set(k, v)
    const random = rng(SEED)
    let interrupted = 0
    const seen = new Set<string>()
    for (let run = 0; run < RUNS; run++) {
      const mode = run % 2 === 0 ? 'cli' : 'daemon'
      // Anywhere in the input (the daemon's client) or in the paths' arrival in the store (the
      // CLI, see reachedStoreProgress); past 90% of the input also up to 0.3 s after it, when
      // the last paths commit; the CLI's kills up to 20 ms after their point, between a batch's
      // files and its registration. (Longer delays let a fast machine finish the import first.)
      const fraction = 0.05 + 0.95 * random()
      const extra = random()
      const at: KillPoint = { fraction, extraMs: Math.round(extra * (mode === 'cli' ? 20 : fraction > 0.9 ? 300 : 0)) }
      const what = `run ${run} (${mode}${noFsync(run) ? ', fsync-store-paths = false' : ''}, killed at ${(at.fraction * 100).toFixed(0)}% of the ${mode === 'cli' ? 'paths' : 'input'} + ${at.extraMs} ms, seed ${SEED})`
      await crashRun(mode, work, root, sets[run]!, at, run)

      // Stock C++ Nix on the store exactly as the crash left it.
      const v = spawnSync('nix-store', ['--store', root, '--verify', '--check-contents'], { env: cleanEnv({}), encoding: 'utf8' })
      assert.equal(v.status, 0, `${what}: nix-store --verify --check-contents: ${v.stderr}`)
      assert.doesNotMatch(v.stderr, /modified|disappeared|error/, what)

      // Nothing half-written under a final name, valid or not.
      for (const name of readdirSync(realStore)) {
        if (name.startsWith('.') || name.endsWith('.lock') || seen.has(name)) continue
        const want = expected.get(name)
        assert.ok(want, `${what}: unexpected entry ${name}`)
        const got = NixHash.of('sha256', await collectBytes(dumpPath(join(realStore, name))))
        assert.ok(got.equals(want), `${what}: ${name} is incomplete under its final name`)
      }

      // Reopen (cleans leftovers): every valid path is complete in the database, castore and on disk.
      const store = await openAt(root)
      try {
        assert.deepEqual(readdirSync(realStore).filter(n => n.startsWith('.') && n !== '.links' && !n.endsWith('.lock')), [], `${what}: hidden leftovers after reopening`)
        for (const p of await store.queryAllValidPaths()) {
          if (seen.has(p.baseName)) continue // checked after an earlier run
          seen.add(p.baseName)
          const info = (await store.queryPathInfo(p))!
          assert.ok(info.narHash.equals(expected.get(p.baseName)!), `${what}: ${p.baseName} registered with the wrong hash`)
          for (const r of info.references) assert.ok(await store.isValidPath(r), `${what}: ${p.baseName} refers to invalid ${r.baseName}`)
          const root = await store.castoreRoot(p)
          assert.ok(root, `${what}: ${p.baseName} has no castore root`)
          const nar = await collectBytes(store.internals.bridge.renderNar(root))
          assert.ok(NixHash.of('sha256', nar).equals(info.narHash), `${what}: ${p.baseName}: castore copy incomplete`)
        }
        // Interrupted means: the kill left some of this run's paths unimported.
        let imported = 0
        for (const name of sets[run]!.expected.keys()) if (await store.isValidPath(StorePath.fromBaseName(name))) imported++
        if (imported < sets[run]!.expected.size) interrupted++
        assert.equal(await store.verifyStore(ctx, true, false), false, `${what}: tsnix verify`)
        if (process.env['TSNIX_CRASH_VERBOSE']) console.log(`${what}: ${(await store.queryAllValidPaths()).length} valid paths`)
      } finally {
        await store.close()
      }
    }
    // The kills must mostly land mid-import for the test to mean anything.
    assert.ok(interrupted >= Math.ceil(RUNS * 0.75), `only ${interrupted} of ${RUNS} runs were interrupted`)
  })
})
