/**
 * A bounded cache of path infos by printed path, positive and negative (C++ `Store` keeps one
 * too, `pathInfoCache`, per daemon connection). Unlike C++'s it never serves stale data:
 *
 *   - every write of this process clears it (the service calls `invalidate()` around writes);
 *   - writes of any other connection or process are noticed through `changed()` (SQLite's
 *     `PRAGMA data_version`, which moves whenever another connection commits), checked before
 *     each lookup; when it moved, the cache is cleared.
 *
 * A lookup that raced with an invalidation (it read the database before a write finished and
 * stores after) is not stored: `begin()` hands out the generation, `set()` checks it.
 */
import type { PathInfo } from '../store-path/index.js'

export class PathInfoCache {
  // Two generations of at most max/2 entries each: `cur` takes new entries, and when full it
  // becomes `prev` (whose entries move back to `cur` when used) and the old `prev` is dropped.
  // Evicting the oldest entry of one Map one by one instead costs O(deleted) per eviction in
  // V8 (its iterator skips the deleted slots from the start until the table is rebuilt): a
  // scan of 100k paths through a full cache took 50 µs per path instead of 2.
  private cur = new Map<string, PathInfo | null>()
  private prev = new Map<string, PathInfo | null>()
  private generation = 0
  private lastVersion: number

  /** `version` reads a number that moves when anyone else changed the database. */
  constructor(private readonly version: () => number, private readonly max = 50_000) {
    this.lastVersion = version()
  }

  /** Check for others' changes; then the cached answer: a PathInfo, null (not valid), or undefined (not cached). */
  get(printed: string): PathInfo | null | undefined {
    const v = this.version()
    if (v !== this.lastVersion) { this.lastVersion = v; this.invalidate(); return undefined }
    const hit = this.cur.get(printed)
    if (hit !== undefined) return hit
    const old = this.prev.get(printed)
    if (old !== undefined) { this.prev.delete(printed); this.store(printed, old) }
    return old
  }

  /** The generation a lookup starts in (pass it to `set`). */
  begin(): number { return this.generation }

  set(printed: string, info: PathInfo | null, generation: number): void {
    if (generation !== this.generation) return
    this.store(printed, info)
  }

  /** Entries held (at most `max`). */
  get size(): number { return this.cur.size + this.prev.size }

  invalidate(): void {
    this.generation++
    this.cur.clear()
    this.prev = new Map()
  }

  private store(printed: string, info: PathInfo | null): void {
    if (this.cur.size >= this.max / 2 && !this.cur.has(printed)) {
      this.prev = this.cur
      this.cur = new Map()
    }
    this.cur.set(printed, info)
  }
}
