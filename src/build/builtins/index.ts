/**
 * Built-in builders (`builder = "builtin:<name>"`), run inside the daemon as C++ runs them in
 * its forked builder: `fetchurl`, `buildenv` (nix-env profiles), `unpack-channel`. Each writes
 * its outputs to host paths in a scratch area; registration is the same as for any build.
 */
import type { BasicDerivation } from '../../derivation/index.js'
import type { StoreDir } from '../../store-path/index.js'
import { BuiltinBuilderError } from '../errors.js'
import type { BuildRequestContext } from '../types.js'
import { builtinBuildenv } from './buildenv.js'
import { builtinFetchurl } from './fetchurl.js'
import { builtinUnpackChannel } from './unpack-channel.js'

export interface BuiltinContext {
  /** Output name → host path to create. */
  readonly outputs: ReadonlyMap<string, string>
  readonly storeDir: StoreDir
  /** Where the logical store paths the derivation mentions are on this host. */
  readonly realStoreDir: string
  /** The build log (what the builder would print). */
  readonly log: (chunk: Uint8Array) => void | Promise<void>
  readonly signal?: AbortSignal | undefined
  readonly netrc: string | undefined
  readonly ctx: BuildRequestContext
}

export type BuiltinBuilder = (drv: BasicDerivation, b: BuiltinContext) => Promise<void>

export const BUILTINS: ReadonlyMap<string, BuiltinBuilder> = new Map([
  ['fetchurl', builtinFetchurl],
  ['buildenv', builtinBuildenv],
  ['unpack-channel', builtinUnpackChannel],
])

export async function runBuiltin(drv: BasicDerivation, b: BuiltinContext): Promise<void> {
  const name = drv.builder.slice('builtin:'.length)
  const f = BUILTINS.get(name)
  if (!f) throw new BuiltinBuilderError(`unsupported builtin builder '${name}'`)
  await f(drv, b)
}

/** A derivation attribute the builder needs (C++ `getAttr`). */
export function attr(drv: BasicDerivation, name: string): string {
  const v = drv.env.get(name)
  if (v === undefined) throw new BuiltinBuilderError(`attribute '${name}' missing`)
  return v
}

/** A logical store path (or a path inside one) → where it is on this host. */
export function toReal(b: Pick<BuiltinContext, 'storeDir' | 'realStoreDir'>, p: string): string {
  const sd = b.storeDir.path
  if (p === sd) return b.realStoreDir
  if (p.startsWith(sd + '/')) return b.realStoreDir + p.slice(sd.length)
  return p
}
