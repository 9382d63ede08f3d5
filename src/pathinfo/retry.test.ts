/** Retrying on lock contention and on PostgreSQL's race codes, and the write mutex. */
import assert from 'node:assert/strict'
import { DbBusyError } from './errors.js'
import { AsyncMutex, withRetry } from './retry.js'

const err = (code: string): Error & { code: string } => Object.assign(new Error(code), { code })

describe('pathinfo: retry and mutex', () => {
  it('retries SQLITE_BUSY and PostgreSQL deadlocks until the work succeeds', async () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', '40P01', '40001']) {
      let n = 0
      assert.equal(await withRetry('x', { giveUpMs: 10_000 }, async () => { if (++n < 3) throw err(code); return n }), 3)
    }
  })
  it('throws anything else at once', async () => {
    let n = 0
    await assert.rejects(withRetry('x', { giveUpMs: 10_000 }, async () => { n++; throw err('SQLITE_CONSTRAINT') }), /SQLITE_CONSTRAINT/)
    assert.equal(n, 1)
  })
  it('caps retries of the extra race codes, but not of waiting for a lock', async () => {
    let n = 0
    await assert.rejects(withRetry('x', { giveUpMs: 10_000, extraPgCodes: ['23505'], maxAttempts: 3 }, async () => { n++; throw err('23505') }), /23505/)
    assert.equal(n, 3)
    let m = 0
    assert.equal(await withRetry('x', { giveUpMs: 10_000, extraPgCodes: ['23505'], maxAttempts: 1 }, async () => { if (++m < 4) throw err('SQLITE_BUSY'); return m }), 4)
  })
  it('gives up on a database busy for longer than giveUpMs with DbBusyError', async () => {
    await assert.rejects(withRetry('writing', { giveUpMs: 30 }, async () => { throw err('SQLITE_BUSY') }),
      (e: Error) => e instanceof DbBusyError && /^database busy for \d+ ms while writing$/.test(e.message))
  })
  it('runs mutex sections one at a time, in order, past failures', async () => {
    const m = new AsyncMutex()
    const log: string[] = []
    const section = (name: string, fail = false) => m.run(async () => {
      log.push(`${name}+`)
      await new Promise(r => setImmediate(r))
      log.push(`${name}-`)
      if (fail) throw new Error(name)
    })
    await Promise.allSettled([section('a'), section('b', true), section('c')])
    assert.deepEqual(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-'])
  })
})
