/**
 * Waiting for the database without blocking the event loop: an async mutex for our own
 * writers, and a retry loop for lock contention with other processes (C++ `retrySQLite`, which
 * sleeps and retries on SQLITE_BUSY) and for PostgreSQL's serialisation failures and deadlocks.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { DbBusyError } from './errors.js'
import { isSqliteBusy } from './sqlite-driver.js'

/** A FIFO mutex: `run(fn)` starts `fn` once every earlier `run` has settled. */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}

/** PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected. */
const PG_RETRYABLE = new Set(['40001', '40P01'])

export function isRetryable(e: unknown, extraPgCodes: readonly string[] = []): boolean {
  if (isSqliteBusy(e)) return true
  const code = (e as { code?: unknown })?.code
  return typeof code === 'string' && (PG_RETRYABLE.has(code) || extraPgCodes.includes(code))
}

export interface RetryOptions {
  /** Give up after this long (C++ waits up to an hour on a busy database). */
  readonly giveUpMs: number
  /** Further PostgreSQL SQLSTATEs that mean "try the whole transaction again" here. */
  readonly extraPgCodes?: readonly string[]
  /** Cap on retries for the extra codes (they signal races, which settle quickly). */
  readonly maxAttempts?: number | undefined
}

export async function withRetry<T>(what: string, opts: RetryOptions, fn: () => Promise<T>): Promise<T> {
  const start = Date.now()
  let delay = 5
  let raced = 0
  for (;;) {
    try {
      return await fn()
    } catch (e) {
      if (!isRetryable(e, opts.extraPgCodes)) throw e
      const waited = Date.now() - start
      // Busy databases wait up to giveUpMs; the extra (race) codes only get maxAttempts tries.
      if (!isRetryable(e) && ++raced >= (opts.maxAttempts ?? Infinity)) throw e
      if (waited >= opts.giveUpMs) {
        if (isSqliteBusy(e)) throw new DbBusyError(what, waited, { cause: e })
        throw e
      }
      // Jitter so that competing daemons do not retry in lock step.
      await sleep(delay / 2 + Math.random() * delay)
      delay = Math.min(delay * 2, 200)
    }
  }
}
