/**
 * What the store needs from the NAR ⇄ castore bridge: ingest a NAR stream into castore (blobs
 * and directories made durable) while computing its SHA-256 and size in the same pass, and
 * render a castore root node back to NAR bytes identical to the ingested ones.
 */
import type { BlobService, DirectoryService, Node } from '../castore/index.js'
import { ingestNar, renderNar } from './nar-castore.js'
import type { NixHash } from '../store-path/index.js'

export interface IngestedNar {
  readonly root: Node
  readonly narHash: NixHash
  readonly narSize: number
}

export interface NarCastoreBridge {
  ingestNar(src: AsyncIterable<Uint8Array>, opts?: { signal?: AbortSignal | undefined }): Promise<IngestedNar>
  renderNar(root: Node): AsyncIterable<Uint8Array>
}

/** The bridge over castore's services (src/store/nar-castore.ts). */
export function makeNarCastoreBridge(blobs: BlobService, dirs: DirectoryService): NarCastoreBridge {
  return {
    async ingestNar(src, opts = {}) {
      const r = await ingestNar(src, blobs, dirs, opts.signal ? { signal: opts.signal } : {})
      return { root: r.root, narHash: r.narSha256, narSize: r.narSize }
    },
    renderNar: root => renderNar(root, blobs, dirs),
  }
}
