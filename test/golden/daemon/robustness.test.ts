/**
 * Acceptance 5 of issue 4: a fuzzer sends ≥ 10,000 malformed, truncated and oversized inputs
 * (seeded mutations of every capture's client stream and of conversations our WorkerClient
 * records at protocol 1.38, 1.34, 1.24 and 1.21) to one `tsnix daemon` process; it never
 * crashes or hangs, its memory stays bounded, the store stays consistent (C++ `nix-store
 * --verify --check-contents` agrees), and well-formed clients are served right after. Then 64
 * concurrent clients doing mixed adds and queries finish without error.
 *
 * The daemon runs as root with trusted clients (every op reachable) in a private mount namespace
 * whose root filesystem is read-only but for the workspace: a fuzzed AddPermRoot cannot place
 * links on the host.
 *
 *   TSNIX_FUZZ_INPUTS=N (default 10000), TSNIX_FUZZ_SEED=S (default 1): replay or go further.
 *   TSNIX_DAEMON_HEAVY=1: the largest oversized requests at full size (400k paths, 1M settings).
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { narOfFile } from '../../support/memory-store.js'
import { fixture, isRoot, nix28, skipBecause, which } from '../../support/env.js'
import { makeFixedOutputPath, NixHash, StoreDir, StorePath } from '../../../src/store-path/index.js'
import { WorkerClient } from '../../../src/worker-protocol/index.js'
import { cleanEnv, DAEMON_CONF, makeClient, runProcess, tsnixMain, waitForSocket, Workspace } from './harness.js'
import { bigInputs, captureSeeds, mutate, Rng, type Seed } from './fuzz-inputs.js'
import { writeInputs } from './inputs.js'

const INPUTS = Number(process.env['TSNIX_FUZZ_INPUTS'] ?? '10000')
const SEED = Number(process.env['TSNIX_FUZZ_SEED'] ?? '1')
const PARALLEL = 8
const sd = new StoreDir()
const enc = new TextEncoder()
const MiB = 1024 * 1024

interface FuzzDaemon { child: ChildProcess; socket: string; root: string; pid: number }

function rssKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : 0
}

function alive(pid: number): boolean { try { process.kill(pid, 0); return true } catch { return false } }

/** tsnix daemon in a mount namespace where everything but the workspace is read-only. */
async function startFuzzDaemon(ws: Workspace): Promise<FuzzDaemon> {
  const root = join(ws.dir, 'root')
  const conf = join(ws.dir, 'conf')
  const socket = join(ws.dir, 'daemon.sock')
  mkdirSync(conf, { recursive: true })
  mkdirSync(join(ws.dir, 'tmp'), { recursive: true })
  writeFileSync(join(conf, 'nix.conf'), DAEMON_CONF)
  const log = openSync(join(ws.dir, 'daemon.log'), 'a')
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro / && shift && exec "$@"'
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ws.dir, process.execPath, tsnixMain, 'daemon'], {
    // SQLite's temporary files (large queries) go to TMPDIR: the only writable place is the workspace
    env: cleanEnv({ NIX_CONF_DIR: conf, NIX_CONFIG: `store = local?root=${root}`, NIX_DAEMON_SOCKET_PATH: socket, HOME: ws.dir, TMPDIR: join(ws.dir, 'tmp') }),
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  await waitForSocket(socket, 'the fuzz daemon', child).catch(e => { throw new Error(`${(e as Error).message}: ${readFileSync(join(ws.dir, 'daemon.log'), 'utf8')}`) })
  return { child, socket, root, pid: child.pid! }
}

/** Send one stream (split into random pieces), half-close, read until the daemon closes (or is silent for `timeoutMs`). */
function sendOne(socket: string, chunks: Iterable<Uint8Array>, timeoutMs: number): Promise<{ outcome: 'closed' | 'hang' | 'refused'; out: Uint8Array }> {
  return new Promise(resolve => {
    const sock: Socket = createConnection(socket)
    const got: Buffer[] = []
    let done = false
    const finish = (outcome: 'closed' | 'hang' | 'refused') => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      resolve({ outcome, out: Buffer.concat(got) })
    }
    // a hang is silence: a stream of many slow requests (say 2000 repeated VerifyStores) keeps
    // the daemon busy for long, but it answers each one
    let timer = setTimeout(() => finish('hang'), timeoutMs)
    sock.on('data', (c: Buffer) => {
      got.push(c)
      clearTimeout(timer)
      timer = setTimeout(() => finish('hang'), timeoutMs)
    })
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'refused' : 'closed'))
    sock.on('close', () => finish('closed'))
    sock.on('connect', async () => {
      try {
        for (const c of chunks) {
          if (done) return
          if (!sock.write(c)) {
            await new Promise<void>(r => {
              const go = () => { sock.off('drain', go); sock.off('close', go); r() }
              sock.on('drain', go)
              sock.on('close', go)
            })
          }
        }
        sock.end()
      } catch { finish('closed') }
    })
  })
}

/** Conversations of our WorkerClient (every op it can send) recorded as seeds, at one version. */
async function recordSeeds(socket: string, minor: number, inputs: string): Promise<Seed> {
  const sock = createConnection(socket)
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
  const parts: Uint8Array[] = []
  let length = 0
  const rec = new Writable({ write(chunk: Buffer, _e, cb) { parts.push(new Uint8Array(chunk)); length += chunk.length; sock.write(chunk, cb) } })
  const c = await WorkerClient.fromStreams(sock, rec, { protocolVersion: 0x100 | minor }, () => sock.destroy())
  const ops: Array<[number, number]> = []
  const hello = enc.encode('hello\n')
  const nar = narOfFile(hello)
  const narHash = NixHash.of('sha256', nar)
  const ca = makeFixedOutputPath(sd, 'hello.txt', 'nar', narHash)
  const info = { path: ca, deriver: undefined, narHash, references: [], registrationTime: 0, narSize: nar.length, ultimate: false, sigs: [], ca: { method: 'nar' as const, hash: narHash } }
  const calls: Array<() => Promise<unknown>> = [
    () => c.setOptions({ overrides: new Map([['sandbox', 'false']]) }),
    () => c.addToStore('hello.txt', { method: 'nar', algo: 'sha256' }, [], nar),
    () => c.addToStore('flat.txt', { method: 'flat', algo: 'sha1' }, [], hello),
    () => c.addTextToStore('t.txt', enc.encode(`see ${sd.print(ca)}`), [ca]),
    () => c.addToStoreNar(info, nar, { dontCheckSigs: true }),
    () => c.addMultipleToStore([{ info, nar }], { count: 1, dontCheckSigs: true }),
    () => c.isValidPath(ca),
    () => c.queryPathInfo(ca),
    () => c.queryReferrers(ca),
    () => c.queryValidPaths([ca, StorePath.fromBaseName('00000000000000000000000000000000-x')]),
    () => c.queryAllValidPaths(),
    () => c.queryPathFromHashPart(ca.hashPart),
    () => c.querySubstitutablePaths([ca]),
    () => c.querySubstitutablePathInfos(new Map([[ca, undefined]])),
    () => c.queryMissing([{ kind: 'opaque', path: ca }]),
    () => c.queryDerivationOutputMap(StorePath.fromBaseName('00000000000000000000000000000000-x.drv')),
    () => c.narFromPath(ca, () => {}),
    () => c.addTempRoot(ca),
    () => c.addIndirectRoot(join(inputs, 'indirect')),
    () => c.findRoots(),
    () => c.addSignatures(ca, ['k:c2ln']),
    () => c.buildPaths([{ kind: 'opaque', path: ca }]),
    () => c.buildPathsWithResults([{ kind: 'opaque', path: ca }]),
    () => c.ensurePath(ca),
    () => c.verifyStore(false, false),
    () => c.optimiseStore(),
    () => c.addBuildLog(StorePath.fromBaseName('00000000000000000000000000000000-x.drv'), enc.encode('log\n')),
    () => c.collectGarbage({ action: 'returnDead', pathsToDelete: { kind: 'specific', paths: [], deleteReferrers: false }, ignoreLiveness: false, maxFreed: 0n }),
    () => c.syncWithGC(),
  ]
  for (const call of calls) {
    const start = length
    await call().catch(() => undefined)
    if (length > start) ops.push([start, length])
  }
  c.close()
  const bytes = new Uint8Array(length)
  let o = 0
  for (const p of parts) { bytes.set(p, o); o += p.length }
  return { name: `recorded-1.${minor}`, bytes, ops }
}

/** The pieces a stream is written in: random sizes, so every split point gets exercised. */
function* pieces(rng: Rng, b: Uint8Array): Generator<Uint8Array> {
  let o = 0
  while (o < b.length) {
    const n = rng.next() < 0.3 ? 1 + rng.int(16) : 1 + rng.int(64 * 1024)
    yield b.subarray(o, o + n)
    o += n
  }
}

describe('golden/daemon: robustness of tsnix daemon (fuzzing, oversized input, 64 clients)', function () {
  this.timeout(1_800_000)
  let ws: Workspace
  let d: FuzzDaemon
  let baseline = 0
  let peak = 0
  let sampler: NodeJS.Timeout | undefined
  const report: string[] = []

  before(async function () {
    if (!isRoot || !which('unshare')) skipBecause(this, 'needs root and unshare (the daemon runs in a private, read-only mount namespace)')
    if (!fixture('captures')) skipBecause(this, 'captures not found')
    ws = Workspace.create('tsnix-daemon-fuzz')
    writeInputs(join(ws.dir, 'in'))
    d = await startFuzzDaemon(ws)
    // a store with something in it
    const w = await WorkerClient.connect(d.socket)
    await w.addToStore('seed.txt', { method: 'nar', algo: 'sha256' }, [], narOfFile(enc.encode('seed\n')))
    w.close()
    baseline = rssKiB(d.pid, 'VmRSS')
    sampler = setInterval(() => { try { peak = Math.max(peak, rssKiB(d.pid, 'VmRSS')) } catch { /* gone */ } }, 20)
  })

  after(async () => {
    if (sampler) clearInterval(sampler)
    if (report.length > 0) console.log(`\n  robustness report:\n    ${report.join('\n    ')}`)
    if (d && alive(d.pid)) { d.child.kill('SIGTERM'); await new Promise(r => d.child.once('exit', r)) }
    if (ws && process.env['TSNIX_KEEP_DAEMON_RUNS'] !== '1') ws.remove()
  })

  it(`survives ${INPUTS} mutated client streams (seed ${SEED})`, async function () {
    const corpus = captureSeeds(fixture('captures')!)
    for (const minor of [38, 34, 24, 21]) corpus.push(await recordSeeds(d.socket, minor, join(ws.dir, 'in')))
    const rng = new Rng(SEED)
    const counts = { closed: 0, hang: 0, refused: 0 }
    const hangs: string[] = []
    const started = Date.now()
    let next = 0
    const worker = async () => {
      for (;;) {
        const i = next++
        if (i >= INPUTS) return
        const seed = rng.pick(corpus)
        const { bytes, kinds } = mutate(rng, seed, corpus)
        const r = await sendOne(d.socket, pieces(rng, bytes), 20_000)
        counts[r.outcome]++
        if (r.outcome !== 'closed') {
          hangs.push(`#${i} ${r.outcome}: ${seed.name} ${kinds.join('+')} (${bytes.length} bytes)`)
          // small enough to replay by hand (the input, not its random split into pieces)
          if (hangs.length <= 2 && bytes.length <= 4096) report.push(`  input #${i} (base64): ${Buffer.from(bytes).toString('base64')}`)
        }
        if (r.outcome === 'refused') return
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker))
    const secs = (Date.now() - started) / 1000
    report.push(`fuzz: ${INPUTS} inputs from ${corpus.length} seeds in ${secs.toFixed(1)} s: ${JSON.stringify(counts)}; RSS baseline ${(baseline / 1024).toFixed(0)} MiB, peak ${(peak / 1024).toFixed(0)} MiB`)
    // the inputs that were not answered, where a truncated assertion message cannot hide them
    for (const h of hangs.slice(0, 20)) report.push(`  not closed: ${h}`)
    assert.ok(alive(d.pid), 'the daemon process is alive')
    assert.deepEqual(hangs, [], 'every connection was closed by the daemon')
    assert.equal(counts.closed, INPUTS)
  })

  it('answers or refuses oversized requests without unbounded memory', async function () {
    for (const input of bigInputs(process.env['TSNIX_DAEMON_HEAVY'] === '1')) {
      const before = peak
      const t = Date.now()
      const r = await sendOne(d.socket, input.chunks(), 300_000)
      const secs = (Date.now() - t) / 1000
      report.push(`${input.name}: ${r.outcome} in ${secs.toFixed(1)} s, ${r.out.length} bytes back, peak RSS ${(peak / 1024).toFixed(0)} MiB (before ${(before / 1024).toFixed(0)})`)
      const tailText = Buffer.from(r.out.subarray(Math.max(0, r.out.length - 600))).toString('latin1').replace(/[^\x20-\x7e]/g, '.')
      assert.equal(r.outcome, 'closed', `${input.name}: ${r.outcome}`)
      assert.ok(alive(d.pid), `the daemon survived: ${input.name}`)
      if (input.expect === 'answer') {
        // the last thing the daemon sent is STDERR_LAST and a reply, not an error
        const tail = Buffer.from(r.out).toString('latin1')
        assert.ok(!/ptxc/.test(tail.slice(-4096)) || input.name.startsWith('AddToStoreNar with 256 MiB'), `${input.name}: answered without an error: ${tailText}`)
        assert.ok(tail.lastIndexOf('stla') > tail.length - 4096, `${input.name}: answered (STDERR_LAST near the end)`)
      }
    }
    // The bound (see README): buffers of one request ≤ LIMITS.text (64 MiB) plus its decoded
    // values; uploads stream in ≤ 64 KiB pieces; eight fuzz connections run at once.
    const bound = baseline + 768 * 1024
    assert.ok(peak < bound, `peak RSS ${(peak / 1024).toFixed(0)} MiB stays under ${(bound / 1024).toFixed(0)} MiB`)
  })

  it('64 concurrent clients doing mixed adds and queries finish without error', async function () {
    const errors: string[] = []
    const t = Date.now()
    const expected = new Map<string, string>()
    await Promise.all(Array.from({ length: 64 }, async (_, k) => {
      try {
        const c = await WorkerClient.connect(d.socket)
        await c.setOptions()
        for (let i = 0; i < 12; i++) {
          // half the contents are shared between clients (the same path added concurrently)
          const body = i % 2 === 0 ? `shared ${i}\n` : `client ${k} item ${i}\n`
          const nar = narOfFile(enc.encode(body))
          const want = makeFixedOutputPath(sd, 'item', 'nar', NixHash.of('sha256', nar))
          const got = await c.addToStore('item', { method: 'nar', algo: 'sha256' }, [], nar)
          const p = got instanceof StorePath ? got : got.path
          assert.equal(sd.print(p), sd.print(want))
          expected.set(sd.print(p), body)
          const info = await c.queryPathInfo(p)
          assert.ok(info && info.narSize === nar.length)
          assert.ok(await c.isValidPath(p))
          await c.queryReferrers(p)
          if (i % 4 === 0) {
            let n = 0
            await c.narFromPath(p, ch => { n += ch.length })
            assert.equal(n, nar.length)
          }
          if (i % 6 === 0) await c.queryValidPaths([p, want])
        }
        c.close()
      } catch (e) {
        errors.push(`client ${k}: ${(e as Error).message}`)
      }
    }))
    report.push(`64 clients × 12 adds + queries: ${((Date.now() - t) / 1000).toFixed(1)} s`)
    assert.deepEqual(errors, [])
    // every path is there with its contents
    for (const [p, body] of expected) assert.equal(readFileSync(join(d.root, p)).toString(), body)
  })

  it('serves a well-formed stock client right after, and the store is consistent', async function () {
    assert.ok(alive(d.pid), 'the daemon is still the same process')
    if (nix28()) {
      const client = makeClient(ws, join(ws.dir, 'after'), '2.8', `unix://${d.socket}?root=${d.root}`)
      const r = await client.run(['nix-store', '--add', join(ws.dir, 'in', 'hello.txt')])
      assert.equal(r.status, 0, r.stderr)
      const v = await client.run(['nix-store', '--verify', '--check-contents'])
      assert.equal(v.status, 0, v.stderr)
    }
    const w = await WorkerClient.connect(d.socket)
    assert.equal(await w.verifyStore(true, false), false, 'tsnix finds no errors')
    w.close()
    // stop it (SIGTERM: a clean exit) and let C++ check the store directly
    d.child.kill('SIGTERM')
    const code = await new Promise<number | null>(r => d.child.once('exit', c => r(c)))
    assert.equal(code, 0, 'clean exit on SIGTERM')
    if (nix28()) {
      const v = await runProcess('nix-store', ['--store', `local?root=${d.root}`, '--verify', '--check-contents'], { env: cleanEnv({ NIX_CONF_DIR: join(ws.dir, 'conf') }) })
      assert.equal(v.status, 0, v.stderr)
      assert.doesNotMatch(v.stderr, /modified|disappeared|error/)
      // every valid path is on disk
      const listed = new Set(readdirSync(join(d.root, 'nix', 'store')))
      const dump = await runProcess('nix-store', ['--store', `local?root=${d.root}`, '--dump-db'], { env: cleanEnv({ NIX_CONF_DIR: join(ws.dir, 'conf') }) })
      // --dump-db: path, hash, size, deriver, count, count × reference — per valid path
      const lines = dump.stdout.toString().split('\n')
      let n = 0
      for (let i = 0; i + 4 < lines.length; i += 5 + Number(lines[i + 4])) {
        assert.ok(listed.has(lines[i]!.slice(sd.path.length + 1)), `${lines[i]} is on disk`)
        n++
      }
      assert.ok(n > 0)
    }
  })
})
