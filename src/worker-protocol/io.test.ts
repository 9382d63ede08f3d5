/** flowingSource: chunks in order, backpressure by pausing the stream, end and errors. */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { flowingSource } from './io.js'

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs)

describe('worker-protocol io: flowingSource', () => {
  it('yields the chunks in order and ends at the end of the stream, without destroying it', async () => {
    // (autoDestroy off, as a half-open socket whose write side is still in use)
    const s = new PassThrough({ autoDestroy: false })
    const it = flowingSource(s)[Symbol.asyncIterator]()
    s.write(bytes(1, 2))
    s.write(bytes(3))
    const got: number[] = []
    const a = await it.next(); got.push(...a.value!)
    const b = await it.next(); got.push(...b.value!)
    assert.deepEqual(got, [1, 2, 3])
    s.end()
    assert.equal((await it.next()).done, true)
    assert.equal(s.destroyed, false)
  })

  it('pauses the stream while highWater bytes wait unread, and resumes as they are taken', async () => {
    const s = new PassThrough()
    const it = flowingSource(s, 4)[Symbol.asyncIterator]()
    s.write(bytes(1, 2, 3))
    s.write(bytes(4, 5))
    await new Promise(r => setImmediate(r))
    assert.equal(s.isPaused(), true)
    assert.deepEqual([...(await it.next()).value!], [1, 2, 3])
    assert.equal(s.isPaused(), false)
    assert.deepEqual([...(await it.next()).value!], [4, 5])
  })

  it('throws the stream’s error', async () => {
    const s = new PassThrough()
    const it = flowingSource(s)[Symbol.asyncIterator]()
    const pending = it.next()
    s.destroy(new Error('connection reset'))
    await assert.rejects(pending, /connection reset/)
  })
})
