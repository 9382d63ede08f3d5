/**
 * Synchronous calls into a worker thread that does asynchronous work (store connections,
 * downloads). Evaluation is synchronous, the store clients are not: the caller posts a request
 * on a MessagePort and blocks in `Atomics.wait` until the worker has posted the reply and
 * raised a flag in shared memory; the reply is then taken with `receiveMessageOnPort`.
 *
 * The worker side is `serveSyncCalls` (below): it answers each request, in order, from a table
 * of async handlers. Errors cross as `{ message, code }` and are rethrown as `SyncCallError`.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import { NixError } from '../errors.js'

/** A handler failed in the worker (or the worker did not answer in time). */
export class SyncCallError extends NixError {
  constructor(message: string, readonly remoteCode?: string) { super('ERR_EVAL_STORE_CALL', message) }
}

interface Request { readonly id: number; readonly op: string; readonly args: readonly unknown[] }
type Reply = { readonly id: number; readonly ok: unknown } | { readonly id: number; readonly error: { message: string; code?: string } }

/** How long one call may take before the caller gives up (downloads can be slow). */
const DEFAULT_TIMEOUT_MS = 30 * 60_000

export class SyncWorker {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4))
  private readonly port: MessagePort
  private readonly worker: Worker
  private nextId = 1
  private closed = false

  constructor(url: URL, data: unknown, private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {
    const { port1, port2 } = new MessageChannel()
    this.worker = new Worker(url, { workerData: { data, port: port2, flag: this.flag }, transferList: [port2] })
    // neither keeps the process alive: the evaluator's caller decides when it is done
    this.worker.unref()
    port1.unref()
    this.port = port1
  }

  call<T>(op: string, ...args: unknown[]): T {
    if (this.closed) throw new SyncCallError(`store worker is closed (calling ${op})`)
    const id = this.nextId++
    Atomics.store(this.flag, 0, 0)
    this.port.postMessage({ id, op, args } satisfies Request)
    const deadline = Date.now() + this.timeoutMs
    while (Atomics.load(this.flag, 0) === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new SyncCallError(`store worker did not answer '${op}' within ${this.timeoutMs} ms`)
      Atomics.wait(this.flag, 0, 0, Math.min(left, 1000))
    }
    const m = receiveMessageOnPort(this.port)
    if (m === undefined) throw new SyncCallError(`store worker raised its flag without a reply to '${op}'`)
    const reply = m.message as Reply
    if (reply.id !== id) throw new SyncCallError(`store worker replied to request ${reply.id}, expected ${id}`)
    if ('error' in reply) throw new SyncCallError(reply.error.message, reply.error.code)
    return reply.ok as T
  }

  /** Stop the worker (after asking it to clean up, if it has a `close` handler). */
  close(): void {
    if (this.closed) return
    try { this.call('close') } catch { /* best effort */ }
    this.closed = true
    void this.worker.terminate()
  }
}

export type Handlers = Record<string, (...args: never[]) => unknown>

/** Worker side: answer requests from `SyncWorker` with `handlers` (which may be async). */
export function serveSyncCalls(workerData: unknown, handlers: Handlers): unknown {
  const { data, port, flag } = workerData as { data: unknown; port: MessagePort; flag: Int32Array }
  let queue: Promise<void> = Promise.resolve()
  port.on('message', (req: Request) => {
    queue = queue.then(async () => {
      let reply: Reply
      try {
        const h = handlers[req.op]
        if (h === undefined) throw new Error(`unknown store worker operation '${req.op}'`)
        reply = { id: req.id, ok: await (h as (...a: unknown[]) => unknown)(...req.args) }
      } catch (e) {
        const err = e as { message?: string; code?: unknown }
        reply = { id: req.id, error: { message: err.message ?? String(e), ...(typeof err.code === 'string' ? { code: err.code } : {}) } }
      }
      port.postMessage(reply)
      Atomics.store(flag, 0, 1)
      Atomics.notify(flag, 0)
    })
  })
  return data
}
