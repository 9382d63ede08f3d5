/** The background WAL checkpointer: a worker thread copies the log back without our commits doing it. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Database, driverPath, openSqliteHandle } from './sqlite-driver.js'
import { WalCheckpointer } from './wal-checkpointer.js'

describe('pathinfo: WAL checkpoints in a worker thread', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-wal-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('checkpoints frames our connection committed with automatic checkpoints off', async () => {
    const file = join(dir, 'db.sqlite')
    const db = openSqliteHandle(file, { autoCheckpoint: false })
    const cp = new WalCheckpointer(file, driverPath, e => { throw e }, 1, 60_000)
    try {
      assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0)
      db.exec('create table t (x blob)')
      const ins = db.prepare('insert into t values (?)')
      db.transaction(() => { for (let i = 0; i < 200; i++) ins.run(Buffer.alloc(4096, i)) })()
      const before = statSync(`${file}-wal`).size
      assert.ok(before > 200 * 4096, `the WAL holds the commit (${before} bytes)`)
      const r = await cp.checkpoint()
      assert.equal(r.ok, true, r.error)
      assert.ok((r.log ?? 0) > 0 && r.checkpointed === r.log, JSON.stringify(r))
      // Everything is in the main file now: a fresh reader that ignores the WAL would see it.
      const reader = new Database(file, { readonly: true })
      try { assert.equal(reader.prepare('select count(*) from t').pluck().get(), 200) } finally { reader.close() }
    } finally {
      await cp.close()
      db.close()
    }
  })

  it('reports a worker that cannot open the database and stops', async () => {
    let failed: Error | undefined
    const cp = new WalCheckpointer(join(dir, 'missing', 'db.sqlite'), driverPath, e => { failed = e }, 1, 60_000)
    const r = await cp.checkpoint()
    assert.equal(r.ok, false)
    assert.ok(failed instanceof Error)
    await cp.close()
  })
})
