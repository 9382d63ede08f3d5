/**
 * NarFromPath: the NAR of a valid path, sent raw after STDERR_LAST. Unlike C++, which finds an
 * invalid path only after STDERR_LAST (and then breaks the stream), we check first, so the
 * client gets an ordinary error.
 */
import { type Handler, type HandlerDeps, notValid } from './context.js'

export function narFromPath(d: HandlerDeps): Handler<'NarFromPath'> {
  return {
    async run(req) {
      if (!(await d.store.isValidPath(req.path))) throw notValid(d.store.storeDir, req.path)
      return d.store.narFromPath(req.path)
    },
  }
}
