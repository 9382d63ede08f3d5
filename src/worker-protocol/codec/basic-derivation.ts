/**
 * BasicDerivation as BuildDerivation sends it (worker-protocol.md §5.9):
 *
 *   u64 n, n × (string name, string path, string hashAlgo, string hash)   outputs
 *   list StorePath inputSrcs, string platform, string builder, list string args,
 *   u64 n, n × (string key, string value)                                 env
 *
 * This is the wire shape (output triples as strings, the name comes from the drv path); the
 * `derivation/` model is built from it by the handler.
 */
import type { StorePath } from '../../store-path/index.js'
import { LIMITS } from '../../wire/index.js'
import type { Codec } from './context.js'
import { listOf, mapOf, OptStorePathCodec, StorePathList, Str, Text } from './primitives.js'

/** An output triple: input-addressed `(path, "", "")`, fixed `(path, "r:sha256", hex)`, floating `(none, "r:sha256", "")`, deferred all empty, impure `(none, algo, "impure")`. */
export interface WireDerivationOutput {
  readonly path: StorePath | undefined
  readonly hashAlgo: string
  readonly hash: string
}

export interface WireBasicDerivation {
  readonly outputs: ReadonlyMap<string, WireDerivationOutput>
  readonly inputSrcs: readonly StorePath[]
  readonly platform: string
  readonly builder: string
  readonly args: readonly string[]
  readonly env: ReadonlyMap<string, string>
}

const OutputCodec: Codec<WireDerivationOutput> = {
  read: (r, ctx) => ({ path: OptStorePathCodec.read(r, ctx), hashAlgo: Str.read(r, ctx), hash: Str.read(r, ctx) }),
  write(w, ctx, v) { OptStorePathCodec.write(w, ctx, v.path); w.string(v.hashAlgo).string(v.hash) },
}

const Outputs = mapOf(Str, OutputCodec, 'derivation outputs')
const Args = listOf(Text, 'builder arguments')
const Env = mapOf(Str, Text, 'environment')

export const BasicDerivationCodec: Codec<WireBasicDerivation> = {
  read: (r, ctx) => ({
    outputs: Outputs.read(r, ctx),
    inputSrcs: StorePathList.read(r, ctx),
    platform: Str.read(r, ctx),
    builder: r.string({ max: LIMITS.path, what: 'builder' }),
    args: Args.read(r, ctx),
    env: Env.read(r, ctx),
  }),
  write(w, ctx, v) {
    Outputs.write(w, ctx, v.outputs)
    StorePathList.write(w, ctx, v.inputSrcs)
    w.string(v.platform).string(v.builder)
    Args.write(w, ctx, v.args)
    Env.write(w, ctx, v.env)
  },
}
