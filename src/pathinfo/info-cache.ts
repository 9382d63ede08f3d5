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
  private readonly map = new Map<string, PathInfo | null>()
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
    return this.map.get(printed)
  }

  /** The generation a lookup starts in (pass it to `set`). */
  begin(): number { return this.generation }

  set(printed: string, info: PathInfo | null, generation: number): void {
    if (generation !== this.generation) return
    if (this.map.size >= this.max) {
      // oldest first: Map iterates in insertion order
      const first = this.map.keys().next()
      if (!first.done) this.map.delete(first.value)
    }
    this.map.set(printed, info)
  }

  invalidate(): void {
    this.generation++
    this.map.clear()
  }
}
