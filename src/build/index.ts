/**
 * The builder glue (tvix `glue` / C++ `Worker` + `DerivationGoal` + `DerivationBuilder`):
 * schedules derivation builds in dependency order, runs them in the sandbox (src/sandbox) or
 * with a built-in builder, streams and stores their logs, and registers their outputs in
 * the store. The store composes it (src/store), handing it a `BuilderStore` view.
 */
export * from './errors.js'
export * from './types.js'
export * from './messages.js'
export * from './log.js'
export * from './log-file.js'
export * from './checks.js'
export * from './outputs.js'
export * from './derivation-builder.js'
export * from './worker.js'
export * from './runners.js'
export * from './build-users.js'
export { BUILTINS, runBuiltin } from './builtins/index.js'
