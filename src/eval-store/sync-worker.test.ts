import assert from 'node:assert/strict'
import { pathToFileURL } from 'node:url'
import { distRoot } from '../../test/support/paths.js'
import { SyncCallError, SyncWorker } from './sync-worker.js'
import { join } from 'node:path'

/** A worker serving `log` (records, slowly), `fail` and `get`, from a data: URL module. */
function testWorker(): SyncWorker {
  const serve = pathToFileURL(join(distRoot, 'src', 'eval-store', 'sync-worker.js')).href
  const src = `import { serveSyncCalls } from ${JSON.stringify(serve)}
import { workerData } from 'node:worker_threads'
const log = []
serveSyncCalls(workerData, {
  log: async x => { await new Promise(r => setTimeout(r, 5)); log.push(x); return true },
  fail: async m => { throw Object.assign(new Error(m), { code: 'E_TEST' }) },
  get: async () => log.slice(),
})`
  return new SyncWorker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), {})
}

describe('SyncWorker', function () {
  this.timeout(20_000)

  it('answers calls after everything posted before them, in order', () => {
    const w = testWorker()
    try {
      for (let i = 0; i < 10; i++) w.post('log', i) // more than may be in flight at once
      assert.deepEqual(w.call('get'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      w.post('log', 10)
      w.flush()
      assert.deepEqual(w.call('get'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    } finally { w.close() }
  })

  it('throws the first failure of posted requests at the next call or flush, once', () => {
    const w = testWorker()
    try {
      w.post('fail', 'first')
      w.post('log', 'a')
      w.post('fail', 'second')
      assert.throws(() => w.call('get'), (e: unknown) => e instanceof SyncCallError && e.message === 'first' && e.op === 'fail' && e.remoteCode === 'E_TEST')
      assert.deepEqual(w.call('get'), ['a']) // the rest ran; the failure is reported once
      w.post('fail', 'third')
      assert.throws(() => w.flush(), /third/)
      w.flush()
      assert.throws(() => w.call('fail', 'own'), (e: unknown) => e instanceof SyncCallError && e.message === 'own' && e.op === 'fail')
    } finally { w.close() }
  })
})
