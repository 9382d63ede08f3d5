/** The Nix evaluator: public surface (see README.md). */
export { EvalState, defaultEvalSettings, type EvalSettings, type EvalHooks, type OutputHooks, type LookupPathEntry } from './eval-state.js'
export { type EvalIO, type EvalStoreIO, type FileType, MemoryEvalIO } from './io.js'
export * from './errors.js'
export * from './value.js'
export { printAmbiguous, printValue } from './print.js'
export { showExpr } from './show.js'
export { PosTable, type PosIdx, noPos } from './pos.js'
export type { BuiltinGroup, PrimOpDef, ConstantDef, NixSourceDef } from './builtins/registry.js'
