/**
 * The layer under the blob and directory services: immutable objects named by a BLAKE3 digest
 * in three namespaces. A backend only moves bytes; chunking, hashing and validation happen
 * above it, so the same blob/directory logic runs on memory and on disk.
 *
 *   blob  — the raw contents of a blob stored whole, or of one chunk of a chunked blob
 *   index — the chunk list of a chunked blob (tvix `StatBlobResponse` bytes)
 *   dir   — a Directory's canonical protobuf bytes
 *
 * Concurrency with garbage collection: every `put` of an object that already exists refreshes
 * its stamp (a writer deduplicating against an old object must keep it alive), and `put` and
 * `sweep` exclude each other through `gate`, so a sweep never deletes an object
 * between a writer's existence check and its use (see gc.ts).
 */
import type { B3Digest } from './digest.js'

export type Namespace = 'blob' | 'index' | 'dir'
export const NAMESPACES: readonly Namespace[] = ['blob', 'index', 'dir']

/** One buffer from whole-or-parts data (no copy when it is already one). */
export function joinParts(data: Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (data instanceof Uint8Array) return data
  return data.length === 1 ? data[0]! : Buffer.concat(data)
}

/** An object being written before its digest is known (large whole blobs stream to disk). */
/** Stable pieces an ObjectWriter may still hold when a write settles (see `write`). */
export const STABLE_WRITES_HELD = 3

export interface ObjectWriter {
  /**
   * Append `data` (copied unless `stable`: the caller promises never to change it, and the
   * backend may write it in place, later). Once a write settles, every stable piece given
   * before the last STABLE_WRITES_HELD ones is written (no longer referenced).
   */
  write(data: Uint8Array, stable?: boolean): Promise<void>
  /** Store the bytes under `digest` (which the caller computed); a no-op + touch if present. */
  commit(digest: B3Digest): Promise<void>
  abort(): Promise<void>
}

export interface ListedObject {
  digest: B3Digest
  /** Milliseconds since the epoch of the last write or touch (ctime on disk). */
  stamp: number
  /** Bytes the object occupies in the backend (allocated blocks on disk). */
  storedBytes: number
}

export interface ObjectStore {
  has(ns: Namespace, digest: B3Digest): Promise<boolean>
  /** The whole object; `sizeHint` (the expected length, e.g. from a chunk list) saves a stat. */
  get(ns: Namespace, digest: B3Digest, sizeHint?: number): Promise<Uint8Array | undefined>
  /** Content length without reading the object; undefined if absent. */
  size(ns: Namespace, digest: B3Digest): Promise<number | undefined>
  /** Bytes [start, end) of an object, in pieces; the object must exist. */
  stream(ns: Namespace, digest: B3Digest, start: number, end: number): AsyncIterable<Uint8Array>
  /**
   * Store an object atomically (given whole or as consecutive parts); if it already exists only
   * refresh its stamp. The bytes must stay unchanged until the promise settles.
   */
  put(ns: Namespace, digest: B3Digest, data: Uint8Array | readonly Uint8Array[]): Promise<void>
  /** Stream an object whose digest is known only at the end. */
  writer(ns: Namespace): ObjectWriter
  /** Make every `put`/`commit` so far durable (fsync of data was done before rename; this syncs directory entries). */
  sync(): Promise<void>
  list(ns: Namespace): AsyncIterable<ListedObject>
  /**
   * Delete those of `digests` whose stamp is older than `cutoff` (ms since epoch), as one
   * batch that no `put` overlaps. Returns how many were deleted and the bytes freed.
   */
  sweep(ns: Namespace, digests: readonly B3Digest[], cutoff: number): Promise<{ deleted: number; freedBytes: number }>
  /**
   * `put` of a small object by synchronous calls, for a caller on a thread that may block (no
   * thread-pool round trips); false, having done nothing, when the backend cannot now (a GC
   * sweep running or waiting, compression) — the caller then uses `put`.
   */
  putSync?(ns: Namespace, digest: B3Digest, data: Uint8Array): boolean
  /** A filesystem path holding exactly the raw bytes of a blob object, if the backend has one. */
  localPath?(ns: Namespace, digest: B3Digest): Promise<string | undefined>
  /**
   * Where a blob object's raw bytes would be on the filesystem, without looking (the caller
   * stats it, as it would anyway); undefined if this backend keeps no such file (compression).
   */
  rawPath?(ns: Namespace, digest: B3Digest): string | undefined
  close?(): Promise<void>
}

/**
 * A readers–writer gate with writer preference: many `shared` sections (object writes) run
 * together; an `exclusive` section (a batch of GC deletions) waits for them and holds new ones
 * back until it is done.
 */
export class Gate {
  private active = 0
  private exclusiveHeld = false
  private waitingExclusive: Array<() => void> = []
  private waitingShared: Array<() => void> = []

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    // A woken waiter has already been counted by `next()`, so nothing slips in between.
    if (this.exclusiveHeld || this.waitingExclusive.length > 0) await new Promise<void>(r => this.waitingShared.push(r))
    else this.active++
    try { return await fn() } finally {
      this.active--
      this.next()
    }
  }

  /**
   * Whether a synchronous shared section may run now: no exclusive section running or waiting.
   * (It runs to completion before any other code, so it cannot overlap one that starts later.)
   */
  get freeForSync(): boolean { return !this.exclusiveHeld && this.waitingExclusive.length === 0 }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.exclusiveHeld || this.active > 0) await new Promise<void>(r => this.waitingExclusive.push(r))
    else this.exclusiveHeld = true
    try { return await fn() } finally {
      this.exclusiveHeld = false
      this.next()
    }
  }

  private next(): void {
    if (this.exclusiveHeld || this.active > 0) return
    const ex = this.waitingExclusive.shift()
    if (ex) { this.exclusiveHeld = true; ex(); return }
    const sh = this.waitingShared
    this.waitingShared = []
    this.active += sh.length
    for (const r of sh) r()
  }
}
