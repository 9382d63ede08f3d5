/**
 * WAL checkpoints off the event loop.
 *
 * In WAL mode SQLite copies the log back into the database ("checkpoint") from whichever
 * connection commits once the log passes `wal_autocheckpoint` pages — synchronously, inside
 * that commit. With Nix's 40000 pages that is 160 MiB copied and synced in one call, a stall of
 * seconds for every client of a single-process daemon (C++ Nix forks a process per client, so
 * it only stalls one). So our connections turn automatic checkpoints off, and a worker thread
 * with its own connection runs `wal_checkpoint(PASSIVE)` — which never blocks readers or
 * writers — whenever the log has grown past `thresholdBytes`. C++ Nix processes on the same
 * database keep checkpointing as they always do.
 */
import { statSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

/** The worker: one connection, one checkpoint per message, the result posted back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.filename, { timeout: 1000 })
parentPort.on('message', m => {
  if (m === 'close') { db.close(); parentPort.close(); return }
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0]
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed })
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message || e) })
  }
})
`

export interface CheckpointResult { ok: boolean; busy?: number; log?: number; checkpointed?: number; error?: string }

export class WalCheckpointer {
  private readonly worker: Worker
  private readonly timer: NodeJS.Timeout
  private inFlight: Promise<CheckpointResult> | undefined
  private settle: ((r: CheckpointResult) => void) | undefined
  private closed = false

  /**
   * `onFailure` runs if the worker dies (e.g. the driver does not load in a thread): the caller
   * then turns automatic checkpoints back on.
   */
  constructor(private readonly filename: string, driverPath: string, onFailure: (e: Error) => void, private readonly thresholdBytes = 16 * 1024 * 1024, intervalMs = 1000) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { filename, driver: driverPath } })
    this.worker.unref()
    this.worker.on('message', (r: CheckpointResult) => this.settle?.(r))
    this.worker.on('error', e => {
      this.settle?.({ ok: false, error: e.message })
      if (this.closed) return
      this.closed = true
      clearInterval(this.timer)
      onFailure(e)
    })
    this.worker.on('exit', () => this.settle?.({ ok: false, error: 'checkpoint worker exited' }))
    this.timer = setInterval(() => { if (this.walBytes() >= this.thresholdBytes) void this.checkpoint() }, intervalMs)
    this.timer.unref()
  }

  private walBytes(): number {
    try { return statSync(`${this.filename}-wal`).size } catch { return 0 }
  }

  /** Run one passive checkpoint now (or join the one running). */
  checkpoint(): Promise<CheckpointResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'closed' })
    // Referenced while a checkpoint runs, so whoever awaits it is not left with an empty loop.
    this.inFlight ??= new Promise<CheckpointResult>(resolve => {
      this.settle = resolve
      this.worker.ref()
      this.worker.postMessage('checkpoint')
    }).finally(() => {
      this.settle = undefined
      this.inFlight = undefined
      if (!this.closed) this.worker.unref()
    })
    return this.inFlight
  }

  /** Call after a large commit: checkpoint soon if the log is big. */
  nudge(): void {
    if (!this.closed && this.walBytes() >= this.thresholdBytes) void this.checkpoint()
  }

  async close(): Promise<void> {
    if (this.closed) return
    if (this.worker.threadId < 0) { this.closed = true; return }
    clearInterval(this.timer)
    await this.inFlight
    this.closed = true
    this.worker.ref()
    const exited = new Promise(resolve => this.worker.once('exit', resolve))
    this.worker.postMessage('close')
    await exited
  }
}
