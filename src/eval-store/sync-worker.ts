/**
 * Synchronous calls into a worker thread that does asynchronous work (store connections,
 * downloads). Evaluation is synchronous, the store clients are not: the caller posts a request
 * on a MessagePort and blocks in `Atomics.wait` until the worker has posted the reply and
 * counted it in shared memory; the reply is then taken with `receiveMessageOnPort`.
 *
 * Requests may also be posted without waiting (`post`): writes the evaluator needs no answer
 * to (`.drv` files) then run in the worker while evaluation goes on. The worker answers every
 * request in order, so a later `call` returns only after everything posted before it is done;
 * the first failure of a posted request is thrown by the next `call` (or `flush`).
 *
 * The worker side is `serveSyncCalls` (below): it answers each request, in order, from a table
 * of async handlers. Errors cross as `{ message, code }` and are rethrown as `SyncCallError`.
 */
import { createRequire } from 'node:module'
import type * as WorkerThreads from 'node:worker_threads'
import type { MessagePort, Worker } from 'node:worker_threads'
import { NixError } from '../errors.js'

// Loaded at first use: evaluations that never reach a store (`-E 1`) skip its load time.
let workerThreads: typeof WorkerThreads | undefined
export const wt = (): typeof WorkerThreads => (workerThreads ??= createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads)

/** A handler failed in the worker (or the worker did not answer in time). */
export class SyncCallError extends NixError {
  constructor(message: string, readonly remoteCode?: string, readonly op?: string) { super('ERR_EVAL_STORE_CALL', message) }
}

interface Request { readonly id: number; readonly op: string; readonly args: readonly unknown[] }
type Reply = { readonly id: number; readonly ok: unknown } | { readonly id: number; readonly error: { message: string; code?: string } }

/** How long one call may take before the caller gives up (downloads can be slow). */
const DEFAULT_TIMEOUT_MS = 30 * 60_000
/** Posted requests unanswered at once before `post` waits for the oldest (bounds memory). */
const MAX_IN_FLIGHT = 4
/** The no-op every worker answers: waiting for its reply waits for everything posted. */
const FLUSH_OP = '__flush'

export class SyncWorker {
  /** Replies the worker has posted so far (it only ever increments). */
  private readonly replied = new Int32Array(new SharedArrayBuffer(4))
  private received = 0
  private readonly port: MessagePort
  private readonly worker: Worker
  private nextId = 1
  private closed = false
  /** Posted requests not yet answered, by id (their op, for messages). */
  private readonly inFlight = new Map<number, string>()
  private postedError: SyncCallError | undefined

  constructor(url: URL, data: unknown, private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {
    const { MessageChannel, Worker } = wt()
    const { port1, port2 } = new MessageChannel()
    this.worker = new Worker(url, { workerData: { data, port: port2, flag: this.replied }, transferList: [port2] })
    // neither keeps the process alive: the evaluator's caller decides when it is done
    this.worker.unref()
    port1.unref()
    this.port = port1
  }

  call<T>(op: string, ...args: unknown[]): T {
    if (this.closed) throw new SyncCallError(`store worker is closed (calling ${op})`)
    const id = this.send(op, args)
    for (;;) {
      const reply = this.nextReply(op)
      if (reply.id !== id) { this.settlePosted(reply); continue }
      this.throwPostedError()
      if ('error' in reply) throw new SyncCallError(reply.error.message, reply.error.code, op)
      return reply.ok as T
    }
  }

  /** Send without waiting for the answer; a failure is thrown by a later `call` or `flush`. */
  post(op: string, ...args: unknown[]): void {
    if (this.closed) throw new SyncCallError(`store worker is closed (calling ${op})`)
    while (this.inFlight.size >= MAX_IN_FLIGHT) this.settlePosted(this.nextReply(op))
    this.inFlight.set(this.send(op, args), op)
  }

  /** Wait until everything posted is done; throws the first failure among it. */
  flush(): void {
    if (this.inFlight.size === 0) { this.throwPostedError(); return }
    this.call(FLUSH_OP)
  }

  private send(op: string, args: readonly unknown[]): number {
    const id = this.nextId++
    this.port.postMessage({ id, op, args } satisfies Request)
    return id
  }

  private nextReply(op: string): Reply {
    const deadline = Date.now() + this.timeoutMs
    while (Atomics.load(this.replied, 0) === this.received) {
      const left = deadline - Date.now()
      if (left <= 0) throw new SyncCallError(`store worker did not answer '${op}' within ${this.timeoutMs} ms`)
      Atomics.wait(this.replied, 0, this.received, Math.min(left, 1000))
    }
    const m = wt().receiveMessageOnPort(this.port)
    if (m === undefined) throw new SyncCallError(`store worker counted a reply it did not send (waiting for '${op}')`)
    this.received++
    return m.message as Reply
  }

  private settlePosted(reply: Reply): void {
    const op = this.inFlight.get(reply.id)
    if (op === undefined) throw new SyncCallError(`store worker replied to request ${reply.id}, which is not pending`)
    this.inFlight.delete(reply.id)
    if ('error' in reply) this.postedError ??= new SyncCallError(reply.error.message, reply.error.code, op)
  }

  private throwPostedError(): void {
    const e = this.postedError
    if (e === undefined) return
    this.postedError = undefined
    throw e
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
        if (req.op === FLUSH_OP) reply = { id: req.id, ok: true }
        else {
          const h = handlers[req.op]
          if (h === undefined) throw new Error(`unknown store worker operation '${req.op}'`)
          reply = { id: req.id, ok: await (h as (...a: unknown[]) => unknown)(...req.args) }
        }
      } catch (e) {
        const err = e as { message?: string; code?: unknown }
        reply = { id: req.id, error: { message: err.message ?? String(e), ...(typeof err.code === 'string' ? { code: err.code } : {}) } }
      }
      port.postMessage(reply)
      Atomics.add(flag, 0, 1)
      Atomics.notify(flag, 0)
    })
  })
  return data
}
