/**
 * The worker thread behind `NodeFetchIO.download` for http(s) URLs: one GET with redirects
 * (src/os/http-get.ts), streamed to a file, answering synchronous calls (sync-worker.ts).
 */
import { createWriteStream } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { workerData } from 'node:worker_threads'
import { httpGet } from '../os/http-get.js'
import { serveSyncCalls } from './sync-worker.js'

serveSyncCalls(workerData, {
  download: async (url: string, dest: string) => {
    let res: IncomingMessage
    try {
      res = await httpGet(new URL(url))
    } catch (e) {
      throw new Error(`unable to download '${url}': ${(e as Error).message}`)
    }
    const code = res.statusCode ?? 0
    if (code < 200 || code >= 300) {
      res.resume()
      throw new Error(`unable to download '${url}': HTTP error ${code}`)
    }
    await pipeline(res, createWriteStream(dest))
    return true
  },
  close: () => true,
})
