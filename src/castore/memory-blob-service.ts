import { ChunkedBlobService, type ChunkedBlobServiceOptions } from './blob-service.js'
import { MemoryObjectStore } from './memory-object-store.js'

/** Blobs in memory (tests, ephemeral stores); chunking behaves as on disk. */
export class MemoryBlobService extends ChunkedBlobService {
  constructor(opts: ChunkedBlobServiceOptions & { store?: MemoryObjectStore } = {}) {
    super(opts.store ?? new MemoryObjectStore(), opts)
  }
}
