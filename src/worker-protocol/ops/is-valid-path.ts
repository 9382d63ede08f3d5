/** IsValidPath: Whether a path is valid (C++ wopIsValidPath). */
import { type Handler, type HandlerDeps } from './context.js'

export function isValidPath(d: HandlerDeps): Handler<'IsValidPath'> {
  return { run: req => d.store.isValidPath(req.path) }
}
