/**
 * Group commit: callers that each want some paths made durable and registered share one
 * barrier. The first caller flushes at once; callers arriving during a flush queue up and are
 * flushed together next, so concurrent adds (several clients, `tsnix store add` of many paths,
 * an import) pay for one castore sync, one store-directory fsync and one database transaction
 * per group instead of per path. A failing group is retried caller by caller, so one caller's
 * bad registration never fails another's. Each caller gets the result of the flush that
 * included its items (shared with the rest of its group).
 */
export class GroupCommit<T, R = void> {
  private queue: Array<{ items: readonly T[]; resolve: (r: R) => void; reject: (e: unknown) => void }> = []
  private running = false

  constructor(private readonly flush: (items: readonly T[]) => Promise<R>) {}

  submit(items: readonly T[]): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject })
      if (!this.running) void this.run()
    })
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0)
        try {
          const r = await this.flush(group.length === 1 ? group[0]!.items : group.flatMap(g => g.items))
          for (const g of group) g.resolve(r)
        } catch (e) {
          if (group.length === 1) { group[0]!.reject(e); continue }
          for (const g of group) {
            try { g.resolve(await this.flush(g.items)) } catch (e2) { g.reject(e2) }
          }
        }
      }
    } finally {
      this.running = false
    }
  }
}
