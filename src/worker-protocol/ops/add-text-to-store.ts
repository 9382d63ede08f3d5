/** AddTextToStore (clients use it below 1.25): a `text:sha256` path with references. */
import { type Handler, type HandlerDeps, opContext } from './context.js'

export function addTextToStore(d: HandlerDeps): Handler<'AddTextToStore'> {
  return {
    async run(req, io) {
      const text = req.text
      const info = await d.store.addToStore(opContext(d, io), req.name, { method: 'text', algo: 'sha256' }, req.references, (async function* () { yield text })(), false)
      return info.path
    },
  }
}
