/**
 * Wiring an EvalState to a store, from the store URL the CLI resolved (`--store`, the `store`
 * setting, `NIX_REMOTE`): `dummy://` or read-only evaluation gets a `DummyEvalStore`; other
 * stores are reached through the synchronous bridge (bridge.ts) when writing is wanted.
 */
import type { EvalState } from '../eval/eval-state.js'
import type { EvalStoreIO } from '../eval/io.js'
import { instantiateHook } from './instantiate.js'
import { nodeSource } from './source.js'
import { DummyEvalStore } from './store.js'

export interface AttachOptions {
  /** The store URL (`dummy://`, `daemon`, `local?root=…`, `unix:///…`); empty = auto. */
  readonly storeUrl: string
  /** C++ `settings.readOnlyMode` (`--eval`, `--parse` without `--read-write-mode`). */
  readonly readOnly: boolean
  /** Open a writable store for `storeUrl`; absent = read-only evaluation only. */
  readonly openStore?: (storeUrl: string, storeDir: string) => EvalStoreIO
}

export function isDummyStore(url: string): boolean {
  return url === 'dummy' || url.startsWith('dummy://')
}

/** Give `st` its store and the `nix-instantiate` output hook. */
export function attachEvalStore(st: EvalState, opts: AttachOptions): void {
  const storeDir = st.settings.storeDir
  if (opts.readOnly || opts.openStore === undefined) {
    st.io.store = new DummyEvalStore(storeDir)
  } else if (isDummyStore(opts.storeUrl)) {
    st.io.store = new DummyEvalStore(storeDir, nodeSource, false)
  } else {
    st.io.store = opts.openStore(opts.storeUrl, storeDir)
  }
  st.outputHooks.instantiate ??= instantiateHook
}
