/** QuerySubstitutablePathInfo(s): what substituters know about some paths. */
import type { Handler, HandlerDeps } from './context.js'

export function querySubstitutablePathInfos(d: HandlerDeps): Handler<'QuerySubstitutablePathInfos'> {
  return { run: req => d.store.querySubstitutablePathInfos([...req.paths.keys()]) }
}

/** Obsolete since 1.12: one path; `found = false` when no substituter has it. */
export function querySubstitutablePathInfo(d: HandlerDeps): Handler<'QuerySubstitutablePathInfo'> {
  return {
    async run(req) {
      const [info] = await d.store.querySubstitutablePathInfos([req.path])
      if (!info) return undefined
      const { path: _p, ...rest } = info
      return rest
    },
  }
}
