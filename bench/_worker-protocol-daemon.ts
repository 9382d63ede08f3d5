/**
 * A tsnix daemon on stdio over the in-memory store double, for bench/worker-protocol.ts (the
 * leading underscore keeps the bench runner from loading it as a module).
 */
import { serveStdio, storeHandlers } from '../src/worker-protocol/index.js'
import { MemoryStore } from '../test/support/memory-store.js'

const store = new MemoryStore()
await serveStdio(process.stdin, process.stdout, { handlers: c => storeHandlers(store, c), trustedUsers: ['root'], allowedUsers: ['*'] })
