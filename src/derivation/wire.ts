/**
 * BasicDerivation on the worker protocol (C++ `readDerivation`/`writeDerivation(Sink, …)`,
 * sent by BuildDerivation after the `.drv` path, which gives the name):
 *
 *   u64 n, n × (name, path, hashAlgo, hash)   outputs as in the ATerm
 *   u64 n, n × path                           input sources
 *   platform, builder, u64 n, n × arg
 *   u64 n, n × (key, value)                   environment, `__json` included
 *
 * Strings are the usual padded byte strings; bytes that are not UTF-8 are rejected.
 */
import { InvalidPathError, BadHashError, type StoreDir, type StorePath } from '../store-path/index.js'
import { LIMITS, type WireReader, type WireWriter } from '../wire/index.js'
import { printOutputFields, parseOutputFields, checkEnvKeyNotInUse } from './aterm.js'
import { InvalidDerivationError } from './errors.js'
import { compareUtf8 } from './order.js'
import { extractStructuredAttrs, STRUCTURED_ATTRS_ENV } from './structured-attrs.js'
import type { BasicDerivation, DerivationOutput } from './types.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

function str(r: WireReader, what: string, max: number): string {
  const b = r.bytes({ max, what })
  try { return utf8.decode(b) } catch {
    throw new InvalidDerivationError(`${what} in the derivation is not valid UTF-8`)
  }
}

export function writeBasicDerivation(w: WireWriter, drv: BasicDerivation, storeDir: StoreDir): void {
  const outputs = [...drv.outputs].sort((a, b) => compareUtf8(a[0], b[0]))
  w.u64(outputs.length)
  for (const [name, o] of outputs) {
    w.string(name)
    for (const f of printOutputFields(storeDir, drv.name, name, o)) w.string(f)
  }
  const srcs = [...new Set(drv.inputSrcs.map(p => p.baseName))].sort(compareUtf8)
  w.u64(srcs.length)
  for (const s of srcs) w.string(`${storeDir.path}/${s}`)
  w.string(drv.platform).string(drv.builder).strings(drv.args)
  checkEnvKeyNotInUse(drv)
  const env: Array<[string, string]> = [...drv.env]
  if (drv.structuredAttrs) env.push([STRUCTURED_ATTRS_ENV, drv.structuredAttrs.text])
  env.sort((a, b) => compareUtf8(a[0], b[0]))
  w.u64(env.length)
  for (const [k, v] of env) w.string(k).string(v)
}

/** Read a BasicDerivation; `name` comes from the `.drv` path sent before it. */
export function readBasicDerivation(r: WireReader, name: string, storeDir: StoreDir): BasicDerivation {
  const outputs = new Map<string, DerivationOutput>()
  const n = r.count('derivation outputs')
  for (let i = 0; i < n; i++) {
    const out = str(r, 'output name', LIMITS.shortString)
    const path = str(r, 'output path', LIMITS.path)
    const algo = str(r, 'output hash algorithm', LIMITS.shortString)
    const hash = str(r, 'output hash', LIMITS.shortString)
    let o: DerivationOutput
    try { o = parseOutputFields(storeDir, name, out, path, algo, hash) } catch (e) {
      if (e instanceof InvalidPathError || e instanceof BadHashError) throw new InvalidDerivationError(`output '${out}': ${e.message}`)
      throw e
    }
    if (!outputs.has(out)) outputs.set(out, o) // C++ emplace: the first one stays
  }
  const srcs = new Map<string, StorePath>()
  const m = r.count('input sources')
  for (let i = 0; i < m; i++) {
    const p = storeDir.parse(str(r, 'input source', LIMITS.path))
    srcs.set(p.baseName, p)
  }
  const platform = str(r, 'platform', LIMITS.shortString)
  const builder = str(r, 'builder', LIMITS.text)
  const argc = r.count('builder arguments')
  const args: string[] = []
  for (let i = 0; i < argc; i++) args.push(str(r, 'builder argument', LIMITS.text))
  const rawEnv = new Map<string, string>()
  const envc = r.count('environment')
  for (let i = 0; i < envc; i++) {
    const k = str(r, 'environment variable name', LIMITS.shortString)
    rawEnv.set(k, str(r, 'environment variable value', LIMITS.text)) // C++ env[key] = value
  }
  const { env, structuredAttrs } = extractStructuredAttrs(rawEnv)
  const inputSrcs = [...srcs.keys()].sort(compareUtf8).map(k => srcs.get(k)!)
  return { name, outputs, inputSrcs, platform, builder, args, env, structuredAttrs }
}
