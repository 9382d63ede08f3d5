/**
 * The evaluator's store for the command line (`tsnix instantiate`): the store URL comes from
 * `--store`/the `store` setting or `NIX_REMOTE`; read-only mode is C++'s `settings.readOnlyMode`
 * (`--eval`/`--parse` unless `--read-write-mode`, or `--readonly-mode`).
 */
import type { EvalState } from '../eval/eval-state.js'
import { attachEvalStore } from './attach.js'
import { DummyEvalStore } from './store.js'

export interface CliStoreOptions {
  readonly config: ReadonlyMap<string, string>
  readonly env: NodeJS.ProcessEnv
  readonly readOnly: boolean
}

export function attachCliStore(st: EvalState, o: CliStoreOptions): void {
  const storeUrl = o.config.get('store') ?? o.env['NIX_REMOTE'] ?? ''
  attachEvalStore(st, {
    storeUrl,
    readOnly: o.readOnly,
    openStore: (url, storeDir) => new DummyEvalStore(storeDir, undefined, false),
  })
}
