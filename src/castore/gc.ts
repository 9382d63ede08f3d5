/**
 * Garbage collection of castore objects: keep what is reachable from the given root nodes
 * (directories → their entries → blobs → chunks), delete the rest — but only objects whose
 * stamp (last write or touch; ctime on disk) is older than a cutoff.
 *
 * Why a cutoff and not a lock: writers never wait for GC and GC never needs to know about
 * uploads in flight. A writer that creates an object, or finds it present and deduplicates
 * against it, refreshes its stamp (ObjectStore.put), so an upload that began after
 * `cutoff` can only have touched objects GC will keep, whether or not its root is registered
 * yet. The remaining race — a writer refreshing an object between GC's decision and its
 * unlink — is closed by ObjectStore's gate: `sweep` re-reads the stamp and deletes in a batch
 * that no `put` overlaps, and a `put` after the batch rewrites what was deleted. The store
 * facade chooses the cutoff: the start of its oldest unfinished upload, or `graceMs` before
 * the mark began (default one hour) when it does not track uploads.
 */
import { lstat, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeBlobIndex } from './blob-index.js'
import { Directory } from './directory.js'
import { B3Digest } from './digest.js'
import type { Node } from './node.js'
import type { ObjectStore, Namespace } from './object-store.js'
import { NAMESPACES } from './object-store.js'

export interface CastoreGcOptions {
  /** Keep unreachable objects stamped less than this long before the mark began (default 1 h). */
  graceMs?: number
  /** Keep unreachable objects stamped at or after this time (ms since epoch); overrides graceMs. */
  cutoff?: number
  /** Only report what would be deleted. */
  dryRun?: boolean
  /** Also remove entries of a materialiser's link directory that nothing links to any more. */
  linkDir?: string
  signal?: AbortSignal
}

export interface CastoreGcResult {
  /** Reachable objects per namespace. */
  live: Record<Namespace, number>
  /** Unreachable objects deleted (or, with dryRun, that would be) per namespace. */
  deleted: Record<Namespace, number>
  /** Unreachable objects kept because they are younger than the cutoff. */
  young: number
  /** Objects referred to from the roots but absent (a damaged store). */
  missing: string[]
  freedBytes: number
  cutoff: number
}

const DEFAULT_GRACE_MS = 60 * 60 * 1000
const SWEEP_BATCH = 256

export async function collectGarbage(store: ObjectStore, roots: Iterable<Node> | AsyncIterable<Node>, opts: CastoreGcOptions = {}): Promise<CastoreGcResult> {
  const markStart = Date.now()
  const cutoff = opts.cutoff ?? markStart - (opts.graceMs ?? DEFAULT_GRACE_MS)
  const live: Record<Namespace, Set<string>> = { blob: new Set(), index: new Set(), dir: new Set() }
  const missing: string[] = []

  // ---- mark
  const markBlob = async (d: B3Digest): Promise<void> => {
    if (live.blob.has(d.hex) || live.index.has(d.hex)) return
    const idx = await store.get('index', d)
    if (idx !== undefined) {
      live.index.add(d.hex)
      for (const c of decodeBlobIndex(idx)) live.blob.add(c.digest.hex)
      // A blob may exist both whole and chunked (stored under two configurations).
      if (await store.has('blob', d)) live.blob.add(d.hex)
    } else if (await store.has('blob', d)) live.blob.add(d.hex)
    else missing.push(`blob ${d.hex}`)
  }
  const pendingDirs: B3Digest[] = []
  const markNode = async (n: Node): Promise<void> => {
    if (n.kind === 'file') await markBlob(n.digest)
    else if (n.kind === 'directory' && !live.dir.has(n.digest.hex)) { live.dir.add(n.digest.hex); pendingDirs.push(n.digest) }
  }
  for await (const r of roots) await markNode(r)
  while (pendingDirs.length > 0) {
    opts.signal?.throwIfAborted()
    const d = pendingDirs.pop()!
    const bytes = await store.get('dir', d)
    if (bytes === undefined) { missing.push(`directory ${d.hex}`); continue }
    const dir = Directory.decode(bytes)
    for (const e of dir.directories) await markNode(e.node)
    for (const e of dir.files) await markNode(e.node)
  }

  // ---- sweep (the order of namespaces does not matter for safety: the cutoff decides)
  const deleted: Record<Namespace, number> = { blob: 0, index: 0, dir: 0 }
  let young = 0, freedBytes = 0
  for (const ns of ['dir', 'index', 'blob'] as const satisfies readonly Namespace[]) {
    let batch: B3Digest[] = []
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return
      const r = await store.sweep(ns, batch, cutoff)
      deleted[ns] += r.deleted
      freedBytes += r.freedBytes
      batch = []
    }
    for await (const o of store.list(ns)) {
      opts.signal?.throwIfAborted()
      if (live[ns].has(o.digest.hex)) continue
      if (o.stamp >= cutoff) { young++; continue }
      if (opts.dryRun) { deleted[ns]++; freedBytes += o.storedBytes; continue }
      batch.push(o.digest)
      if (batch.length >= SWEEP_BATCH) await flush()
    }
    await flush()
  }
  if (!opts.dryRun) {
    const withTmp = store as ObjectStore & { cleanTmp?: (cutoff: number) => Promise<number> }
    await withTmp.cleanTmp?.(cutoff)
    if (opts.linkDir !== undefined) freedBytes += await cleanLinkDir(opts.linkDir)
  }

  const count = (ns: Namespace): number => live[ns].size
  return {
    live: Object.fromEntries(NAMESPACES.map(ns => [ns, count(ns)])) as Record<Namespace, number>,
    deleted, young, missing, freedBytes, cutoff,
  }
}

/** Delete link-directory copies that no materialised file links to any more (nlink 1). */
export async function cleanLinkDir(dir: string): Promise<number> {
  let freed = 0
  let shards: string[]
  try { shards = await readdir(dir) } catch { return 0 }
  for (const s of shards) {
    for (const n of await readdir(join(dir, s)).catch(() => [] as string[])) {
      const p = join(dir, s, n)
      const st = await lstat(p).catch(() => undefined)
      if (st && st.isFile() && st.nlink === 1) { await unlink(p).catch(() => {}); freed += st.blocks * 512 }
    }
  }
  return freed
}
