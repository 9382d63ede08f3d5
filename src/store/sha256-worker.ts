/**
 * Worker side of sha256-offload.ts: hashes regions of a shared ring as they are posted, and
 * counts each one done in `ctl[0]` so the producer can reuse its bytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'

const { ring, ctl } = workerData as { ring: SharedArrayBuffer; ctl: SharedArrayBuffer }
const bytes = new Uint8Array(ring)
const done = new Int32Array(ctl)
let h: Hash | undefined

type Msg = { t: 'data'; off: number; len: number } | { t: 'end' } | { t: 'reset' }

parentPort!.on('message', (m: Msg) => {
  if (m.t === 'data') {
    (h ??= createHash('sha256')).update(bytes.subarray(m.off, m.off + m.len))
    Atomics.add(done, 0, 1)
    Atomics.notify(done, 0)
  } else if (m.t === 'end') {
    const d = (h ?? createHash('sha256')).digest()
    h = undefined
    parentPort!.postMessage(d)
  } else {
    h = undefined
  }
})
