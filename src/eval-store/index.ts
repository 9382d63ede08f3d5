/**
 * The glue between the evaluator (src/eval, which reaches the store only through `EvalStoreIO`)
 * and stores (tvix glue/): serialising source paths, the dummy, in-memory and bridged stores,
 * and `nix-instantiate`'s derivation output.
 */
export * from './source.js'
export * from './dump.js'
export * from './store.js'
export * from './attach.js'
export * from './cli.js'
export * from './instantiate.js'
export * from './sync-worker.js'
