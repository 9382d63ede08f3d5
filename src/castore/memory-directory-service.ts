import { ObjectDirectoryService } from './directory-service.js'
import { MemoryObjectStore } from './memory-object-store.js'

/** Directories in memory (tests, ephemeral stores). */
export class MemoryDirectoryService extends ObjectDirectoryService {
  constructor(store: MemoryObjectStore = new MemoryObjectStore()) { super(store) }
}
