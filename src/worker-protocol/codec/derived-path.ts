/**
 * DerivedPath (the shared `store-path` type) on the wire: what BuildPaths,
 * BuildPathsWithResults and QueryMissing name, and the key of a KeyedBuildResult. Two string
 * forms by version:
 *
 *   ≥ 1.30  `/nix/store/…-foo` (opaque, also a .drv), `/nix/store/…-foo.drv!*`, `…drv!out,dev`
 *   < 1.30  `/nix/store/…-foo`, `/nix/store/…-foo.drv` (= all outputs), `…drv!out,dev`
 *
 * Output names keep the peer's order (the encoding is byte-faithful). Nested
 * (dynamic-derivation) paths are not supported; they need an experimental feature.
 */
import { type DerivedPath, InvalidPathError, type StorePath } from '../../store-path/index.js'
import { LIMITS, type WireReader } from '../../wire/index.js'
import { InvalidWireValueError, UnsupportedByProtocolError } from '../errors.js'
import { atLeast, type Codec, type CodecContext } from './context.js'

export function parseWireDerivedPath(s: string, ctx: CodecContext): DerivedPath {
  const bang = s.indexOf('!')
  if (bang < 0) {
    const path = ctx.storeDir.parse(s)
    // Below 1.30 a bare .drv means "all outputs" (C++ StorePathWithOutputs::toDerivedPath).
    if (!atLeast(ctx, 30) && path.isDerivation()) return { kind: 'built', drvPath: path, outputs: { kind: 'all' } }
    return { kind: 'opaque', path }
  }
  const drvPath = ctx.storeDir.parse(s.slice(0, bang))
  const rest = s.slice(bang + 1)
  if (rest.includes('!')) throw new InvalidPathError(`derived path '${s}' is nested, which needs dynamic derivations`)
  if (rest === '*') return { kind: 'built', drvPath, outputs: { kind: 'all' } }
  const names = rest.split(',')
  if (names.some(n => n === '')) throw new InvalidPathError(`derived path '${s}' has an empty output name`)
  return { kind: 'built', drvPath, outputs: { kind: 'names', names } }
}

export function printWireDerivedPath(p: DerivedPath, ctx: CodecContext): string {
  const { storeDir } = ctx
  if (p.kind === 'opaque') {
    if (!atLeast(ctx, 30) && p.path.isDerivation()) {
      throw new UnsupportedByProtocolError(`trying to request '${storeDir.print(p.path)}', but daemon protocol ${ctx.version >> 8}.${ctx.version & 0xff} is too old (< 1.29) to request a derivation file`)
    }
    return storeDir.print(p.path)
  }
  const drv = storeDir.print(p.drvPath)
  if (p.outputs.kind === 'all') return atLeast(ctx, 30) ? `${drv}!*` : drv
  return `${drv}!${p.outputs.names.join(',')}`
}

export const DerivedPathCodec: Codec<DerivedPath> = {
  read: (r, ctx) => parseWireDerivedPath(r.string({ max: LIMITS.shortString, what: 'derived path' }), ctx),
  write: (w, ctx, p) => { w.string(printWireDerivedPath(p, ctx)) },
}

/** SingleDerivedPath (op 1000 only): tag 0 + StorePath, or tag 1 + SingleDerivedPath + output. */
export type SingleDerivedPath =
  | { readonly kind: 'opaque'; readonly path: StorePath }
  | { readonly kind: 'built'; readonly drvPath: SingleDerivedPath; readonly output: string }

const MAX_SINGLE_DEPTH = 64

function readSingle(r: WireReader, ctx: CodecContext, depth: number): SingleDerivedPath {
  if (depth > MAX_SINGLE_DEPTH) throw new InvalidPathError('single derived path nested too deeply')
  const tag = r.u64()
  if (tag === 0n) return { kind: 'opaque', path: ctx.storeDir.parse(r.string({ max: LIMITS.path })) }
  if (tag === 1n) {
    const drvPath = readSingle(r, ctx, depth + 1)
    return { kind: 'built', drvPath, output: r.string() }
  }
  throw new InvalidWireValueError('single derived path tag', tag)
}

export const SingleDerivedPathCodec: Codec<SingleDerivedPath> = {
  read: (r, ctx) => readSingle(r, ctx, 0),
  write(w, ctx, p) {
    if (p.kind === 'opaque') { w.u64(0); w.string(ctx.storeDir.print(p.path)); return }
    w.u64(1)
    SingleDerivedPathCodec.write(w, ctx, p.drvPath)
    w.string(p.output)
  },
}
