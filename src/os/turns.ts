/**
 * Turn-taking inside one process for a lock that many of its connections wait for.
 *
 * The daemon waits for flock(2) locks by polling (the event loop must not block), so a
 * connection that releases a lock and takes it again at once — a client sending GC after GC —
 * wins every race against waiters that are asleep between polls, and they can starve for as
 * long as it keeps going. C++ Nix's daemon has a process per connection, all waiting in the
 * kernel. Here waiters of one process are served in arrival order: a writer waits for
 * everyone ahead of it; readers that arrive in a row share one turn. The file lock is still
 * taken afterwards, for other processes.
 */
export type TurnKind = 'read' | 'write'

interface Waiter { kind: TurnKind; grant: () => void }

export class Turns {
  private readers = 0
  private writer = false
  private readonly queue: Waiter[] = []

  /**
   * Wait for a turn; resolves with the function that ends it (call it exactly once).
   * `onWait` runs once if the turn is not free right away. An aborted wait leaves the queue.
   */
  async take(kind: TurnKind, opts: { signal?: AbortSignal | undefined; onWait?: () => void } = {}): Promise<() => void> {
    opts.signal?.throwIfAborted()
    if (this.queue.length === 0 && this.free(kind)) return this.grant(kind)
    opts.onWait?.()
    await new Promise<void>((resolve, reject) => {
      const signal = opts.signal
      const onAbort = () => {
        const i = this.queue.indexOf(waiter)
        if (i >= 0) this.queue.splice(i, 1)
        this.advance() // readers behind an aborted writer may go now
        reject(signal!.reason)
      }
      const waiter: Waiter = { kind, grant: () => { signal?.removeEventListener('abort', onAbort); resolve() } }
      this.queue.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return this.release(kind)
  }

  private free(kind: TurnKind): boolean {
    return kind === 'read' ? !this.writer : !this.writer && this.readers === 0
  }

  private grant(kind: TurnKind): () => void {
    if (kind === 'read') this.readers++
    else this.writer = true
    return this.release(kind)
  }

  /** The end of a granted turn (the counters were updated by `grant` or `advance`). */
  private release(kind: TurnKind): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      if (kind === 'read') this.readers--
      else this.writer = false
      this.advance()
    }
  }

  /** Grant the head of the queue if it can go, and the readers right behind a granted reader. */
  private advance(): void {
    while (this.queue.length > 0 && this.free(this.queue[0]!.kind)) {
      const w = this.queue.shift()!
      if (w.kind === 'read') this.readers++
      else this.writer = true
      w.grant()
      if (w.kind === 'write') return
    }
  }
}

const byKey = new Map<string, Turns>()

/** The process-wide turns for one lock file. */
export function turnsFor(lockPath: string): Turns {
  let t = byKey.get(lockPath)
  if (!t) byKey.set(lockPath, (t = new Turns()))
  return t
}
