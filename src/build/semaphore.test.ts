import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Semaphore } from './semaphore.js'

describe('build: job slots', () => {
  it('never runs more than max at once, and serves waiters in order', async () => {
    const sem = new Semaphore(2)
    let running = 0
    let peak = 0
    const order: number[] = []
    await Promise.all(Array.from({ length: 7 }, async (_, i) => {
      const release = await sem.acquire()
      order.push(i)
      running++
      peak = Math.max(peak, running)
      await sleep(2)
      running--
      release()
      release() // releasing twice is harmless
    }))
    assert.equal(peak, 2)
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6])
  })

  it('a waiter leaves the queue when its signal aborts', async () => {
    const sem = new Semaphore(1)
    const held = await sem.acquire()
    const ac = new AbortController()
    const waiting = sem.acquire(ac.signal)
    ac.abort(new Error('gone'))
    await assert.rejects(waiting, /gone/)
    held()
    const again = await sem.acquire()
    again()
  })
})
