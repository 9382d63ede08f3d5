import { ObjectDirectoryService } from './directory-service.js'
import { FsObjectStore, type FsObjectStoreOptions } from './fs-object-store.js'

/** Directories as files under a state directory (dirs/<2 hex>/<64 hex>, canonical bytes). */
export class FsDirectoryService extends ObjectDirectoryService {
  declare readonly store: FsObjectStore

  static async open(root: string | FsObjectStore, opts: FsObjectStoreOptions = {}): Promise<FsDirectoryService> {
    return new FsDirectoryService(typeof root === 'string' ? await FsObjectStore.open(root, opts) : root)
  }
}
