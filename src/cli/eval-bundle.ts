/**
 * Start-up fast path of `tsnix instantiate` / `tsnix eval`: dist/src/cli/eval-bundle.cjs with
 * its V8 code cache (see bundle.ts; `TSNIX_EVAL_BUNDLE=0` disables it).
 */
import { loadBundle } from './bundle.js'
import type { CommandMain } from './eval-run.js'

export interface EvalBundle {
  instantiate(args: string[]): Promise<number>
  evaluate(args: string[]): Promise<number>
  /** The command bodies, for the large-stack Worker (eval-worker.ts). */
  instantiateMain: CommandMain
  evalMain: CommandMain
}

export function loadEvalBundle(): EvalBundle | undefined {
  return loadBundle<EvalBundle>('eval', 'TSNIX_EVAL_BUNDLE')
}
