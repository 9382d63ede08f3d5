import { ChunkedBlobService, type ChunkedBlobServiceOptions } from './blob-service.js'
import { FsObjectStore, type FsObjectStoreOptions } from './fs-object-store.js'

/** Blobs as files under a state directory (the embedded default; layout in fs-object-store.ts). */
export class FsBlobService extends ChunkedBlobService {
  declare readonly store: FsObjectStore

  /** Open at `root`, or share an FsObjectStore already opened (e.g. with an FsDirectoryService). */
  static async open(root: string | FsObjectStore, opts: ChunkedBlobServiceOptions & FsObjectStoreOptions = {}): Promise<FsBlobService> {
    const store = typeof root === 'string' ? await FsObjectStore.open(root, opts) : root
    return new FsBlobService(store, opts)
  }
}
