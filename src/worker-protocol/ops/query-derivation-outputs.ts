/** QueryDerivationOutputs (obsolete since 1.22): a derivation's known output paths. */
import type { StorePath } from '../../store-path/index.js'
import type { Handler, HandlerDeps } from './context.js'

export function queryDerivationOutputs(d: HandlerDeps): Handler<'QueryDerivationOutputs'> {
  return {
    async run(req) {
      const out: StorePath[] = []
      for (const p of (await d.store.queryDerivationOutputMap(req.path)).values()) if (p) out.push(p)
      return out
    },
  }
}
