/** SyncWithGC: Obsolete since 1.32: a no-op that answers 1. */
import { type Handler, type HandlerDeps } from './context.js'

export function syncWithGC(d: HandlerDeps): Handler<'SyncWithGC'> {
  return { run: async () => undefined }
}
