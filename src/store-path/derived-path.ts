/**
 * DerivedPath (C++ `DerivedPath`): either a store path as is ("opaque"), or some outputs of a
 * derivation ("built"). Its string forms are `/nix/store/…-foo`, `/nix/store/…-foo.drv!out,dev`
 * and `/nix/store/…-foo.drv!*` (protocol ≥ 1.30; older peers spell "all outputs" as the bare
 * `.drv` path — see the worker-protocol codecs).
 */
import { InvalidPathError } from './errors.js'
import type { StoreDir, StorePath } from './store-path.js'

/** Output names requested: all of them, or a non-empty set. */
export type OutputsSpec = { readonly kind: 'all' } | { readonly kind: 'names'; readonly names: readonly string[] }

export type DerivedPath =
  | { readonly kind: 'opaque'; readonly path: StorePath }
  | { readonly kind: 'built'; readonly drvPath: StorePath; readonly outputs: OutputsSpec }

export function printOutputsSpec(s: OutputsSpec): string {
  return s.kind === 'all' ? '*' : [...s.names].sort().join(',')
}

export function parseOutputsSpec(s: string): OutputsSpec {
  if (s === '*') return { kind: 'all' }
  const names = s.split(',')
  if (names.some(n => n.length === 0)) throw new InvalidPathError(`invalid outputs specifier '${s}'`)
  return { kind: 'names', names: [...new Set(names)].sort() }
}

/** The `!` form (protocol ≥ 1.30). */
export function printDerivedPath(storeDir: StoreDir, p: DerivedPath): string {
  return p.kind === 'opaque' ? storeDir.print(p.path) : `${storeDir.print(p.drvPath)}!${printOutputsSpec(p.outputs)}`
}

/** Parse the `!` form (C++ `DerivedPath::parse`). */
export function parseDerivedPath(storeDir: StoreDir, s: string): DerivedPath {
  const bang = s.indexOf('!')
  if (bang < 0) return { kind: 'opaque', path: storeDir.parse(s) }
  const drvPath = storeDir.parse(s.slice(0, bang))
  return { kind: 'built', drvPath, outputs: parseOutputsSpec(s.slice(bang + 1)) }
}
