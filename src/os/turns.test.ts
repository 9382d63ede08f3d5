import assert from 'node:assert/strict'
import { Turns } from './turns.js'

const tick = () => new Promise<void>(r => setImmediate(r))

describe('in-process turns for a shared lock', () => {
  it('serves waiters in arrival order: a holder that takes the lock again queues behind them', async () => {
    const t = new Turns()
    const order: string[] = []
    const end1 = await t.take('write')
    const waiter = t.take('write').then(end => { order.push('waiter'); return end })
    await tick()
    end1()
    const again = t.take('write').then(end => { order.push('holder again'); return end })
    ;(await waiter)()
    ;(await again)()
    assert.deepEqual(order, ['waiter', 'holder again'])
  })

  it('lets readers in a row share a turn, and a writer waits for them and blocks readers behind it', async () => {
    const t = new Turns()
    const log: string[] = []
    const r1 = await t.take('read')
    const r2 = await t.take('read') // no writer ahead: shares the turn at once
    let wDone = false
    const w = t.take('write').then(end => { log.push('writer'); wDone = true; return end })
    const r3 = t.take('read').then(end => { log.push('reader behind writer'); return end })
    await tick()
    assert.equal(wDone, false)
    r1()
    await tick()
    assert.equal(wDone, false, 'one reader still holds the turn')
    r2()
    ;(await w)()
    ;(await r3)()
    assert.deepEqual(log, ['writer', 'reader behind writer'])
  })

  it('calls onWait once when it has to wait, and not when the turn is free', async () => {
    const t = new Turns()
    let waits = 0
    const end = await t.take('write', { onWait: () => waits++ })
    assert.equal(waits, 0)
    const p = t.take('read', { onWait: () => waits++ })
    end()
    ;(await p)()
    assert.equal(waits, 1)
  })

  it('drops an aborted waiter, letting those behind it go', async () => {
    const t = new Turns()
    const r = await t.take('read')
    const ac = new AbortController()
    const w = t.take('write', { signal: ac.signal })
    const r2 = t.take('read')
    ac.abort(new Error('client went away'))
    await assert.rejects(w, /client went away/)
    ;(await r2)() // granted although the aborted writer was ahead of it
    r()
    ;(await t.take('write'))() // nothing left holding or queued
  })
})
