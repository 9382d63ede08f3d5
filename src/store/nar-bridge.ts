/**
 * What the store needs from the NAR ⇄ castore bridge: ingest a NAR stream into castore while
 * computing its SHA-256 and size in the same pass, and render a castore root node back to NAR
 * bytes identical to the ingested ones.
 *
 * Ingestion comes in two steps so that batches pay for durability once: `stageNar` returns
 * when the NAR has been read (its uploads may still run; `root` resolves when they are done),
 * and `sync` makes everything stored so far durable. `ingestNar` is both in one call.
 */
import type { BlobService, DirectoryService, Node } from '../castore/index.js'
import { ingestNar, type IngestNarOptions, renderNar, stageNar, syncCastore } from './nar-castore.js'
import type { NixHash } from '../store-path/index.js'
import type { ByteSource } from '../wire/index.js'

export interface IngestedNar {
  readonly root: Node
  readonly narHash: NixHash
  readonly narSize: number
}

export interface StagedNar {
  readonly narHash: NixHash
  readonly narSize: number
  /** Resolves once the contents are stored (not yet durable: see `sync`). */
  readonly root: Promise<Node>
}

export interface NarCastoreBridge {
  ingestNar(src: AsyncIterable<Uint8Array>, opts?: { signal?: AbortSignal | undefined }): Promise<IngestedNar>
  stageNar(src: AsyncIterable<Uint8Array> | ByteSource, opts?: { signal?: AbortSignal | undefined }): Promise<StagedNar>
  /** Make every staged root that has resolved durable. */
  sync(): Promise<void>
  renderNar(root: Node): AsyncIterable<Uint8Array>
}

/** The bridge over castore's services (src/store/nar-castore.ts). */
export function makeNarCastoreBridge(blobs: BlobService, dirs: DirectoryService, tuning: { syncPutMax?: number } = {}): NarCastoreBridge {
  // Built without spreads: object literals with spread are slow to create, once per path.
  const options = (signal: AbortSignal | undefined): IngestNarOptions => {
    const o: IngestNarOptions = {}
    if (tuning.syncPutMax) o.syncPutMax = tuning.syncPutMax
    if (signal) o.signal = signal
    return o
  }
  return {
    async ingestNar(src, opts = {}) {
      const r = await ingestNar(src, blobs, dirs, options(opts.signal))
      return { root: r.root, narHash: r.narSha256, narSize: r.narSize }
    },
    async stageNar(src, opts = {}) {
      const r = await stageNar(src, blobs, dirs, options(opts.signal))
      return { root: r.root, narHash: r.narSha256, narSize: r.narSize }
    },
    sync: () => syncCastore(blobs, dirs),
    renderNar: root => renderNar(root, blobs, dirs),
  }
}
