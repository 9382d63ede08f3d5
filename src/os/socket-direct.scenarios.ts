/**
 * The scenarios of socket-direct.test.ts that need an event loop with nothing else to do: each
 * runs in a worker thread of its own (a fresh libuv loop), since a direct read gives way to any
 * other ready descriptor or due timer of its loop — which a test process that has run other
 * suites always has somewhere. Even a fresh loop has some: V8 wakes it when a background compile
 * is done. So accepted sockets start paused (the stream never takes their bytes) and a direct
 * read that should succeed is retried after a turn of the loop; streak limits are long (a loaded
 * machine may stop a thread for milliseconds between two statements). A failed assertion fails
 * the worker.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { nativeCalls } from './native.js'
import { socketFd } from './peer-credentials.js'
import { socketDirect, type SocketDirect } from './socket-direct.js'
import { flowingSource } from '../worker-protocol/io.js'
import type { SyncPull } from '../wire/index.js'

/** Connected pairs over a Unix socket: [server side (paused), client side]. */
export class Pairs {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tsnix-direct-'))
  private server: Server | undefined
  private readonly open: Socket[] = []
  async pair(): Promise<[Socket, Socket]> {
    const path = join(this.dir, 'sock')
    if (this.server === undefined) {
      this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true })
      await new Promise<void>(r => this.server!.listen(path, r))
    }
    const accepted = new Promise<Socket>(r => this.server!.once('connection', r))
    const client = createConnection({ path, allowHalfOpen: true })
    await new Promise(r => client.once('connect', r))
    const server = await accepted
    this.open.push(server, client)
    // one more turn: libuv applies the end of the connect's write watch to epoll at its next poll
    // (until then the client's descriptor reads as other work that is ready)
    await sleep(1)
    return [server, client]
  }
  close(): void {
    for (const s of this.open) s.destroy()
    this.server?.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))
const fdOf = (s: Socket): number => socketFd(s)!
const text = (b: Uint8Array | null | undefined): string | null | undefined => (b instanceof Uint8Array ? Buffer.from(b).toString() : b)

/** `d.read()`, after turns of the loop while it says "not now" (its loop had other work). */
async function readSoon(d: SocketDirect): Promise<Uint8Array | null | undefined> {
  for (let i = 0; i < 50; i++) {
    const r = d.read()
    if (r !== undefined) return r
    await sleep(2)
    d.turned()
  }
  return undefined
}

/** A native wait's outcome, retried past -1 (the loop's own wake-ups) unless -1 is expected. */
async function waitOutcome(fd: number, budgetMs: number, expect: number): Promise<number> {
  const calls = nativeCalls('TSNIX_SOCKET_DIRECT', 'readWhenReady')!
  const into = Buffer.alloc(64)
  let r = calls.readWhenReady(fd, into, budgetMs)
  for (let i = 0; i < 50 && r === -1 && expect !== -1; i++) { await sleep(2); r = calls.readWhenReady(fd, into, budgetMs) }
  return r
}

export const scenarios: Record<string, (pairs: Pairs) => Promise<void>> = {
  async 'direct reads'(pairs) {
    const [s, c] = await pairs.pair()
    const d = socketDirect(s, { streakMs: 10_000 })!
    c.write('request 1')
    assert.equal(text(await readSoon(d)), 'request 1')
    c.write('request 2')
    assert.equal(text(await readSoon(d)), 'request 2')
    c.end()
    await sleep(5)
    assert.equal(await readSoon(d), null, 'end of input')
  },

  async 'wait outcomes'(pairs) {
    const [s, c] = await pairs.pair()
    const [s2, c2] = await pairs.pair()
    s2.on('data', () => {}).resume() // a reading stream: its bytes are the loop's other work
    await sleep(1)
    const t = performance.now()
    assert.equal(await waitOutcome(fdOf(s), 20, -2), -2, 'budget passed')
    assert.ok(performance.now() - t >= 15, 'it waited for the budget')
    c2.write('for the other connection')
    assert.equal(await waitOutcome(fdOf(s), 1000, -1), -1, 'another descriptor ready')
    await sleep(1) // the stream takes c2's bytes
    const im = setImmediate(() => {})
    assert.equal(await waitOutcome(fdOf(s), 1000, -4), -4, 'an immediate due')
    clearImmediate(im)
    c.write('x')
    assert.equal(await waitOutcome(fdOf(s), 1000, 1), 1, 'one byte read')
  },

  async 'streak limit'(pairs) {
    const [s, c] = await pairs.pair()
    const d = socketDirect(s, { streakMs: 500 })!
    c.write('a')
    assert.equal(text(await readSoon(d)), 'a')
    const until = performance.now() + 600
    while (performance.now() < until) { /* serve without a turn */ }
    c.write('b')
    assert.equal(d.read(), undefined, 'not now after 600 ms without a turn')
    await sleep(1)
    d.turned()
    assert.equal(text(await readSoon(d)), 'b', 'the bytes were left for the next read')
  },

  async 'order with the stream'(pairs) {
    const [s, c] = await pairs.pair()
    const d = socketDirect(s, { streakMs: 10_000 })!
    const it = flowingSource(s, undefined, d)[Symbol.asyncIterator]() as AsyncIterator<Uint8Array> & SyncPull
    s.resume() // (accepted paused here; the daemon's sockets flow from the start)
    c.write('one')
    await sleep(10) // the stream has taken 'one' into the queue
    c.write('two')
    assert.equal(it.nextNow(), undefined, 'queued bytes come first')
    assert.equal(text((await it.next()).value), 'one')
    // read directly, or by the stream if the loop had other work first: in order either way
    assert.equal(text(it.nextNow() ?? (await it.next()).value), 'two')
    const waiting = it.next() // a reader waits on the stream: no direct read beside it
    c.write('three')
    assert.equal(it.nextNow(), undefined, 'no direct read while a reader waits')
    assert.equal(text((await waiting).value), 'three')
    c.end()
    await sleep(10)
    assert.equal((await it.next()).done, true)
  },
}

if (parentPort !== null && typeof workerData?.socketDirectScenario === 'string') {
  const pairs = new Pairs()
  try {
    await scenarios[workerData.socketDirectScenario as string]!(pairs)
  } finally {
    pairs.close()
  }
  parentPort.postMessage('ok')
}
