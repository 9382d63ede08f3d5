/**
 * Two daemons on one store (issue 3, acceptance 3): two `tsnix daemon` processes share the
 * store directory, the state directory (temproots, gc.lock, gcroots) and castore, and keep
 * their metadata in one PostgreSQL database. Stock-protocol clients (our WorkerClient) talk to
 * each. Checked: concurrent adds of the same and of different paths through both, each daemon
 * sees the other's paths, and a collection run by one spares the other's clients' temp roots
 * (and deletes the path once that client is gone). Skipped with a reason without PostgreSQL or
 * the native addon.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeNarTree, narDirectory, narFile } from '../nar/index.js'
import { nativeAddon } from '../os/index.js'
import { encodeNix32, NixHash, type PathInfo, sha256, StoreDir, StorePath } from '../store-path/index.js'
import { WorkerClient } from '../worker-protocol/client.js'
import { skipBecause } from '../../test/support/env.js'
import { distRoot } from '../../test/support/paths.js'
import { acquirePostgres, releasePostgres } from '../../test/support/postgres.js'
import { pgUrl } from '../../test/support/store.js'

const storeDir = new StoreDir()
const tsnixMain = join(distRoot, 'src', 'cli', 'main.js')
const ALL = (1n << 64n) - 1n

function ia(name: string): StorePath { return StorePath.fromParts(encodeNix32(sha256('multi-daemon:' + name).subarray(0, 20)), name) }
function narOf(seed: string): Uint8Array {
  return encodeNarTree(narDirectory({ f: narFile(`contents of ${seed}\n`), big: narFile(new Uint8Array(200_000).fill(seed.length)) }))
}
function infoOf(path: StorePath, nar: Uint8Array, references: StorePath[] = []): PathInfo {
  return { path, deriver: undefined, narHash: NixHash.of('sha256', nar), narSize: nar.length, references, registrationTime: 0, ultimate: false, sigs: [], ca: undefined }
}

interface Daemon { socket: string; child: ChildProcess; log: string }

async function startDaemon(dir: string, name: string, root: string, db: string): Promise<Daemon> {
  const socket = join(dir, `${name}.sock`)
  const log = join(dir, `${name}.log`)
  const conf = join(dir, `${name}-conf`)
  mkdirSync(conf, { recursive: true })
  const fd = openSync(log, 'a')
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('NIX_')) env[k] = v
  const child = spawn(process.execPath, [tsnixMain, 'daemon', '--force-trusted'], {
    env: {
      ...env, NIX_CONF_DIR: conf, NIX_DAEMON_SOCKET_PATH: socket,
      NIX_CONFIG: `store = local?root=${root}\ntsnix-database = ${db}\nrequire-sigs = false\nbuild-users-group =\nsandbox = false\nsubstituters =\n`,
    },
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const until = Date.now() + 30_000
  while (!existsSync(socket)) {
    if (child.exitCode !== null) throw new Error(`daemon ${name} exited: ${readFileSync(log, 'utf8')}`)
    if (Date.now() > until) throw new Error(`daemon ${name} did not start: ${readFileSync(log, 'utf8')}`)
    await new Promise(r => setTimeout(r, 50))
  }
  return { socket, child, log }
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (d.child.exitCode !== null) return
  const exited = new Promise(r => d.child.once('exit', r))
  d.child.kill('SIGTERM')
  const t = setTimeout(() => d.child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(t)
}

describe('two tsnix daemons sharing one PostgreSQL database and one store', function () {
  this.timeout(180_000)
  let dir: string
  let a: Daemon, b: Daemon
  const clients: WorkerClient[] = []
  const connect = async (d: Daemon): Promise<WorkerClient> => {
    const c = await WorkerClient.connect(d.socket)
    clients.push(c)
    return c
  }

  before(async function () {
    if (!nativeAddon()) skipBecause(this, 'the native addon (file locks) is not built')
    const server = await acquirePostgres()
    if (typeof server === 'string') skipBecause(this, `no PostgreSQL: ${server}`)
    if (typeof server === 'string') return
    dir = mkdtempSync(join(tmpdir(), 'tsnix-multi-daemon-'))
    const db = pgUrl(await server.createDatabase())
    const root = join(dir, 'root')
    a = await startDaemon(dir, 'a', root, db)
    b = await startDaemon(dir, 'b', root, db)
  })
  after(async () => {
    for (const c of clients.splice(0)) c.close()
    for (const d of [a, b]) if (d) await stopDaemon(d)
    if (dir) { rmSync(dir, { recursive: true, force: true }); await releasePostgres() }
  })

  it('adds the same path through both at once, and different paths that each daemon sees', async () => {
    const [ca, cb] = [await connect(a), await connect(b)]
    const p = ia('same'), nar = narOf('same')
    await Promise.all([ca.addToStoreNar(infoOf(p, nar), nar, { dontCheckSigs: true }), cb.addToStoreNar(infoOf(p, nar), nar, { dontCheckSigs: true })])
    assert.ok(await ca.isValidPath(p))
    assert.ok(await cb.isValidPath(p))
    // Different paths, interleaved, some referring to paths the other daemon added.
    const xs = Array.from({ length: 6 }, (_, i) => ia(`x${i}`))
    await Promise.all(xs.map((x, i) => (i % 2 ? ca : cb).addToStoreNar(infoOf(x, narOf(x.name), [p]), narOf(x.name), { dontCheckSigs: true })))
    for (const x of xs) {
      const fromA = await ca.queryPathInfo(x), fromB = await cb.queryPathInfo(x)
      assert.ok(fromA && fromB, x.baseName)
      assert.ok(fromA.narHash.equals(fromB.narHash))
      assert.deepEqual(fromA.references.map(r => r.baseName), [p.baseName])
    }
    assert.deepEqual((await cb.queryReferrers(p)).map(r => r.baseName).sort(), xs.map(x => x.baseName).sort())
  })

  it('a collection in one daemon spares temp roots held through the other, until that client goes', async () => {
    const held = await connect(b)
    const gcClient = await connect(a)
    const p = ia('rooted'), nar = narOf('rooted')
    await held.addToStoreNar(infoOf(p, nar), nar, { dontCheckSigs: true }) // adding makes it a temp root of `held`
    const q = ia('unrooted'), qn = narOf('unrooted')
    const adder = await connect(b)
    await adder.addToStoreNar(infoOf(q, qn), qn, { dontCheckSigs: true })
    adder.close()
    await new Promise(r => setTimeout(r, 300)) // the daemon notices the closed connection and drops its roots
    const r1 = await gcClient.collectGarbage({ action: 'deleteSpecific', pathsToDelete: { kind: 'specific', paths: [q], deleteReferrers: false }, ignoreLiveness: false, maxFreed: ALL })
    assert.deepEqual(r1.paths, [storeDir.print(q)])
    await assert.rejects(
      gcClient.collectGarbage({ action: 'deleteSpecific', pathsToDelete: { kind: 'specific', paths: [p], deleteReferrers: false }, ignoreLiveness: false, maxFreed: ALL }),
      /since it is still alive/)
    assert.ok(await held.isValidPath(p))
    held.close()
    await new Promise(r => setTimeout(r, 300))
    const r2 = await gcClient.collectGarbage({ action: 'deleteSpecific', pathsToDelete: { kind: 'specific', paths: [p], deleteReferrers: false }, ignoreLiveness: false, maxFreed: ALL })
    assert.deepEqual(r2.paths, [storeDir.print(p)])
    const c = await connect(b)
    assert.equal(await c.isValidPath(p), false)
  })
})
