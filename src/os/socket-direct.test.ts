/**
 * Direct socket I/O beside Node's stream (socket-direct.ts, native/tsnix.c `readWhenReady`):
 * what a wait ends with, the byte order against the stream, the streak limit (each in a worker
 * of its own: socket-direct.scenarios.ts), and partial direct writes.
 */
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { nativeCalls } from './native.js'
import { socketDirect } from './socket-direct.js'
import { Pairs } from './socket-direct.scenarios.js'
import { WritableSink } from '../worker-protocol/io.js'
import { skipBecause } from '../../test/support/env.js'

const calls = nativeCalls('TSNIX_SOCKET_DIRECT', 'readWhenReady', 'writeSome')

function inWorker(scenario: string): Promise<void> {
  const w = new Worker(new URL('./socket-direct.scenarios.js', import.meta.url), { workerData: { socketDirectScenario: scenario } })
  return new Promise((resolve, reject) => {
    let ok = false
    w.on('message', m => { ok = m === 'ok' })
    w.on('error', reject)
    w.on('exit', code => (ok ? resolve() : reject(new Error(`scenario '${scenario}' ended with code ${code} and no result`))))
  })
}

describe('socket direct I/O', function () {
  beforeEach(function () {
    if (calls === null) skipBecause(this, 'native addon not built with readWhenReady (node native/build.mjs)')
  })

  it('reads bytes the peer has sent without a turn of the event loop, and the end of input', () => inWorker('direct reads'))

  it('ends the wait with the reason: budget passed (-2), another descriptor ready (-1), work due now (-4), bytes read', () => inWorker('wait outcomes'))

  it('says "not now" once it has served for a while without a turn of the loop, until one comes', () => inWorker('streak limit'))

  it('keeps the byte order with the stream: flowingSource reads directly only when nothing waits unread', () => inWorker('order with the stream'))

  it('writes directly when the stream has nothing queued, and the rest through the stream, in order', async () => {
    const pairs = new Pairs()
    try {
      const [s, c] = await pairs.pair()
      c.pause() // the peer does not read yet: the socket buffer fills and a write is partial
      const sink = new WritableSink(s, socketDirect(s)!)
      const chunks: Buffer[] = []
      for (let i = 0; i < 64; i++) {
        const b = Buffer.alloc(64 * 1024, i)
        chunks.push(b)
        if (!sink.tryWrite(b)) break
      }
      assert.ok(s.writableLength > 0, 'the stream took over once the socket was full')
      const total = chunks.reduce((a, b) => a + b.length, 0)
      const got: Buffer[] = []
      let n = 0
      c.on('data', (b: Buffer) => { got.push(b); n += b.length })
      c.resume()
      await sink.drain()
      while (n < total) await new Promise(r => setTimeout(r, 5))
      assert.ok(Buffer.concat(got).equals(Buffer.concat(chunks)))
    } finally {
      pairs.close()
    }
  })
})
