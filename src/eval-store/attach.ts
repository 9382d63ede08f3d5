/**
 * Wiring an EvalState to a store, from the store URL the CLI resolved (`--store`, the `store`
 * setting, `NIX_REMOTE`): `dummy://` gets a `DummyEvalStore` (read-only evaluation computes
 * paths; instantiating fails as in C++); other stores are opened by `openStore` (the bridge),
 * read-only or not. Read-only evaluation against `auto` with no daemon running stays on the
 * dummy store rather than opening the local store.
 */
import type { EvalState } from '../eval/eval-state.js'
import type { EvalFetchIO, EvalStoreIO } from '../eval/io.js'
import { instantiateHook } from './instantiate.js'
import { nodeSource } from './source.js'
import { DummyEvalStore } from './store.js'

export interface AttachOptions {
  /** The store URL (`dummy://`, `daemon`, `local?root=…`, `unix:///…`); empty = auto. */
  readonly storeUrl: string
  /** C++ `settings.readOnlyMode` (`--eval`, `--parse` without `--read-write-mode`). */
  readonly readOnly: boolean
  /** Open a store for `storeUrl`; absent = read-only evaluation only. */
  readonly openStore?: (storeUrl: string, storeDir: string, readOnly: boolean) => EvalStoreIO
  /** Whether `storeUrl` (auto) would reach a store worth asking in read-only mode. */
  readonly storeReachable?: (storeUrl: string) => boolean
  /** Fetchers' IO (absent: fetchers fail). */
  readonly fetch?: EvalFetchIO
}

export function isDummyStore(url: string): boolean {
  return url === 'dummy' || url.startsWith('dummy://')
}

/** Give `st` its store and the `nix-instantiate` output hook. */
export function attachEvalStore(st: EvalState, opts: AttachOptions): void {
  const storeDir = st.settings.storeDir
  const dummy = isDummyStore(opts.storeUrl)
  if (opts.openStore === undefined || (opts.readOnly && (dummy || opts.storeReachable?.(opts.storeUrl) === false))) {
    st.io.store = new DummyEvalStore(storeDir)
  } else if (dummy) {
    st.io.store = new DummyEvalStore(storeDir, nodeSource, false)
  } else {
    st.io.store = opts.openStore(opts.storeUrl, storeDir, opts.readOnly)
  }
  if (opts.fetch !== undefined) st.io.fetch = opts.fetch
  st.outputHooks.instantiate ??= instantiateHook
}
