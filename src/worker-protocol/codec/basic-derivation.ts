/**
 * BasicDerivation (the `derivation/` model) as BuildDerivation sends it (C++ `readDerivation`
 * / `writeDerivation` on a Source/Sink, worker-protocol.md §5.9):
 *
 *   u64 n, n × (string name, string path, string hashAlgo, string hash)   outputs
 *   list StorePath inputSrcs, string platform, string builder, list string args,
 *   u64 n, n × (string key, string value)                                 env (with `__json`)
 *
 * Output triples: input-addressed `(path, "", "")`; fixed `(path, "r:sha256", <base16>)`;
 * floating `("", "r:sha256", "")`; deferred `("", "", "")`; impure `("", algo, "impure")`. The
 * name is not sent: it comes from the drv path. As in C++ 2.34, a fixed output's stated path is
 * ignored when reading and computed when writing. Sets and maps are written sorted, as C++ does.
 */
import {
  type BasicDerivation, compareUtf8, type DerivationOutput, extractStructuredAttrs, fixedOutputPath, parseMethodAlgo, printMethodAlgo,
  STRUCTURED_ATTRS_ENV,
} from '../../derivation/index.js'
import { NixHash, type StorePath } from '../../store-path/index.js'
import { LIMITS, type WireReader, type WireWriter } from '../../wire/index.js'
import { InvalidWireValueError } from '../errors.js'
import type { CodecContext } from './context.js'
import { StorePathList } from './primitives.js'

function readOutput(r: WireReader, ctx: CodecContext): DerivationOutput {
  const pathS = r.string({ max: LIMITS.path, what: 'output path' })
  const algoS = r.string({ what: 'output hash algorithm' })
  const hashS = r.string({ what: 'output hash' })
  if (algoS === '') {
    if (hashS !== '') throw new InvalidWireValueError('derivation output (hash without algorithm)', hashS)
    return pathS === '' ? { kind: 'deferred' } : { kind: 'inputAddressed', path: ctx.storeDir.parse(pathS) }
  }
  const { method, algo } = parseMethodAlgo(algoS)
  if (hashS === 'impure') return { kind: 'impure', method, hashAlgo: algo }
  if (hashS === '') return { kind: 'caFloating', method, hashAlgo: algo }
  return { kind: 'caFixed', ca: { method, hash: NixHash.parseDigest(hashS, algo) } }
}

function writeOutput(w: WireWriter, ctx: CodecContext, drvName: string, name: string, o: DerivationOutput): void {
  switch (o.kind) {
    case 'inputAddressed': w.string(ctx.storeDir.print(o.path)).string('').string(''); return
    case 'caFixed':
      w.string(ctx.storeDir.print(fixedOutputPath(ctx.storeDir, drvName, name, o.ca))).string(printMethodAlgo(o.ca.method, o.ca.hash.algo)).string(o.ca.hash.toBase16())
      return
    case 'caFloating': w.string('').string(printMethodAlgo(o.method, o.hashAlgo)).string(''); return
    case 'deferred': w.string('').string('').string(''); return
    case 'impure': w.string('').string(printMethodAlgo(o.method, o.hashAlgo)).string('impure')
  }
}

/** Read a BasicDerivation whose name (from its drv path) is `name`. */
export function readBasicDerivation(r: WireReader, ctx: CodecContext, name: string): BasicDerivation {
  const n = r.count('derivation outputs')
  const outputs = new Map<string, DerivationOutput>()
  for (let i = 0; i < n; i++) {
    const out = r.string({ what: 'output name' })
    const o = readOutput(r, ctx)
    if (!outputs.has(out)) outputs.set(out, o)
  }
  const inputSrcs = StorePathList.read(r, ctx)
  const platform = r.string({ what: 'platform' })
  const builder = r.string({ max: LIMITS.text, what: 'builder' })
  const nargs = r.count('builder arguments')
  const args: string[] = []
  for (let i = 0; i < nargs; i++) args.push(r.string({ max: LIMITS.text, what: 'builder argument' }))
  const nenv = r.count('environment')
  const rawEnv = new Map<string, string>()
  for (let i = 0; i < nenv; i++) {
    const k = r.string({ max: LIMITS.text, what: 'environment variable' })
    rawEnv.set(k, r.string({ max: LIMITS.text, what: 'environment value' }))
  }
  const { env, structuredAttrs } = extractStructuredAttrs(rawEnv)
  return { name, outputs, inputSrcs, platform, builder, args, env, ...(structuredAttrs ? { structuredAttrs } : {}) }
}

export function writeBasicDerivation(w: WireWriter, ctx: CodecContext, drv: BasicDerivation): void {
  const outs = [...drv.outputs].sort(([a], [b]) => compareUtf8(a, b))
  w.u64(outs.length)
  for (const [name, o] of outs) { w.string(name); writeOutput(w, ctx, drv.name, name, o) }
  const srcs = new Map<string, StorePath>(drv.inputSrcs.map(p => [p.baseName, p]))
  StorePathList.write(w, ctx, [...srcs.keys()].sort(compareUtf8).map(k => srcs.get(k)!))
  w.string(drv.platform).string(drv.builder)
  w.u64(drv.args.length)
  for (const a of drv.args) w.string(a)
  const env: Array<[string, string]> = [...drv.env]
  if (drv.structuredAttrs) env.push([STRUCTURED_ATTRS_ENV, drv.structuredAttrs.text])
  env.sort(([a], [b]) => compareUtf8(a, b))
  w.u64(env.length)
  for (const [k, v] of env) w.string(k).string(v)
}

