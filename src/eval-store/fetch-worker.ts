/**
 * The worker thread behind `NodeFetchIO.download` for http(s) URLs: Node's `fetch`, streamed
 * to a file, answering synchronous calls (sync-worker.ts).
 */
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { workerData } from 'node:worker_threads'
import { serveSyncCalls } from './sync-worker.js'

serveSyncCalls(workerData, {
  download: async (url: string, dest: string) => {
    let res: Response
    try {
      res = await fetch(url, { redirect: 'follow' })
    } catch (e) {
      throw new Error(`unable to download '${url}': ${(e as Error).message}`)
    }
    if (!res.ok || res.body === null) throw new Error(`unable to download '${url}': HTTP error ${res.status}`)
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(dest))
    return true
  },
  close: () => true,
})
