/**
 * The JSON form of derivations, format version 4, as C++ Nix 2.34 reads and writes it
 * (`nix derivation show`, `nix derivation add`, libstore-tests `derivation/*.json`):
 *
 *   { "name", "version": 4, "outputs": {name: output}, "inputs": {"srcs": [path], "drvs":
 *     {path: {"outputs": [..], "dynamicOutputs": {..}}}}, "system", "builder", "args", "env",
 *     "structuredAttrs"? }
 *
 * Store paths are base names (`<hash>-<name>`). An output is `{"path"}` (input-addressed),
 * `{"method","hash"}` (fixed; SRI hash), `{"method","hashAlgo"}` (floating), `{}` (deferred)
 * or `{"method","hashAlgo","impure":true}`. Methods are `flat`, `nar`, `text`, `git`.
 */
import {
  BadHashError,
  type ContentAddressMethod,
  type HashAlgo,
  InvalidPathError,
  NixHash,
  parseHashAlgo,
  StorePath,
} from '../store-path/index.js'
import { DerivationJsonError, JsonSyntaxError } from './errors.js'
import { dumpJson, isJsonObject, type JsonObject, type JsonValue, parseJson } from './json-value.js'
import { compareUtf8 } from './order.js'
import { StructuredAttrs } from './structured-attrs.js'
import type { Derivation, DerivationOutput, DerivedPathMapNode, InputDrv } from './types.js'

/** C++ `expectedJsonVersionDerivation`. */
export const DERIVATION_JSON_VERSION = 4

function obj(entries: Array<[string, JsonValue]>): JsonObject { return new Map(entries) }

export function outputToJson(o: DerivationOutput): JsonObject {
  switch (o.kind) {
    case 'inputAddressed': return obj([['path', o.path.baseName]])
    case 'caFixed': return obj([['hash', o.ca.hash.toSRI()], ['method', o.ca.method]])
    case 'caFloating': return obj([['hashAlgo', o.hashAlgo], ['method', o.method]])
    case 'deferred': return obj([])
    case 'impure': return obj([['hashAlgo', o.hashAlgo], ['impure', true], ['method', o.method]])
  }
}

function nodeToJson(n: DerivedPathMapNode): JsonObject {
  const children = new Map<string, JsonValue>()
  for (const [k, c] of n.dynamicOutputs) children.set(k, nodeToJson(c))
  return obj([['dynamicOutputs', children], ['outputs', [...new Set(n.outputs)].sort(compareUtf8)]])
}

/** The JSON value of a derivation (C++ `adl_serializer<Derivation>::to_json`). */
export function derivationToJson(drv: Derivation): JsonObject {
  const outputs = new Map<string, JsonValue>()
  for (const [name, o] of drv.outputs) outputs.set(name, outputToJson(o))
  const drvs = new Map<string, JsonValue>()
  for (const i of drv.inputDrvs) drvs.set(i.path.baseName, nodeToJson(i))
  const srcs = [...new Set(drv.inputSrcs.map(p => p.baseName))].sort(compareUtf8)
  const m = new Map<string, JsonValue>([
    ['args', [...drv.args]],
    ['builder', drv.builder],
    ['env', new Map(drv.env)],
    ['inputs', obj([['drvs', drvs], ['srcs', srcs]])],
    ['name', drv.name],
    ['outputs', outputs],
    ['system', drv.platform],
    ['version', BigInt(DERIVATION_JSON_VERSION)],
  ])
  if (drv.structuredAttrs) m.set('structuredAttrs', drv.structuredAttrs.attrs)
  return m
}

/**
 * What `nix derivation show` prints for these derivations: `{"derivations": {<drv base name>:
 * …}, "version": 4}`, compact (nlohmann `dump()`) or with `pretty` indented by 2.
 */
export function printDerivationShow(drvs: Iterable<readonly [StorePath, Derivation]>, pretty = false): string {
  const m = new Map<string, JsonValue>()
  for (const [p, d] of drvs) m.set(p.baseName, derivationToJson(d))
  return dumpJson(obj([['derivations', m], ['version', BigInt(DERIVATION_JSON_VERSION)]]), pretty ? 2 : undefined)
}

// ---------------------------------------------------------------------------------------------
// Reading

class Reader {
  constructor(private readonly trail: string[] = []) {}
  at(key: string): Reader { return new Reader([...this.trail, key]) }
  fail(msg: string): never {
    const where = this.trail.length > 0 ? ` (at ${this.trail.map(k => JSON.stringify(k)).join('.')})` : ''
    throw new DerivationJsonError(msg + where)
  }
  object(v: JsonValue | undefined): JsonObject {
    if (!isJsonObject(v)) this.fail(`expected a JSON object, got ${kindOf(v)}`)
    return v
  }
  field(o: JsonObject, key: string): JsonValue {
    const v = o.get(key)
    if (v === undefined) this.fail(`missing key '${key}'`)
    return v
  }
  string(v: JsonValue | undefined): string {
    if (typeof v !== 'string') this.fail(`expected a string, got ${kindOf(v)}`)
    return v
  }
  array(v: JsonValue | undefined): readonly JsonValue[] {
    if (!Array.isArray(v)) this.fail(`expected an array, got ${kindOf(v)}`)
    return v as readonly JsonValue[]
  }
  strings(v: JsonValue | undefined): string[] {
    return this.array(v).map((x, i) => this.at(String(i)).string(x))
  }
  storePath(v: JsonValue | undefined): StorePath {
    const s = this.string(v)
    try { return StorePath.fromBaseName(s) } catch (e) {
      if (e instanceof InvalidPathError) this.fail(e.message)
      throw e
    }
  }
}

function kindOf(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (isJsonObject(v)) return 'an object'
  if (typeof v === 'bigint') return 'an integer'
  if (typeof v === 'number') return 'a float'
  return `a ${typeof v}`
}

const METHODS: readonly ContentAddressMethod[] = ['flat', 'nar', 'text', 'git']

function method(r: Reader, v: JsonValue | undefined): ContentAddressMethod {
  const s = r.string(v)
  if (!(METHODS as readonly string[]).includes(s)) r.fail(`unknown content address method '${s}', expected 'flat', 'nar', 'text' or 'git'`)
  return s as ContentAddressMethod
}

function hashAlgo(r: Reader, v: JsonValue | undefined): HashAlgo {
  const s = r.string(v)
  try { return parseHashAlgo(s) } catch (e) {
    if (e instanceof BadHashError) r.fail(e.message)
    throw e
  }
}

/** C++ `adl_serializer<DerivationOutput>::from_json`: the set of keys decides the kind. */
export function outputFromJson(v: JsonValue, r: Reader = new Reader()): DerivationOutput {
  const o = r.object(v)
  const keys = [...o.keys()].sort().join(',')
  switch (keys) {
    case 'path': return { kind: 'inputAddressed', path: r.at('path').storePath(o.get('path')) }
    case 'hash,method': {
      const m = method(r.at('method'), o.get('method'))
      const hs = r.at('hash').string(o.get('hash'))
      let hash: NixHash
      try { hash = NixHash.parseSRI(hs) } catch (e) {
        if (e instanceof BadHashError) r.at('hash').fail(e.message)
        throw e
      }
      if (m === 'text' && hash.algo !== 'sha256') r.fail('text-hashed output must use sha256')
      if (m === 'git' && hash.algo !== 'sha1' && hash.algo !== 'sha256') r.fail('git-hashed output must use sha1 or sha256')
      return { kind: 'caFixed', ca: { method: m, hash } }
    }
    case 'hashAlgo,method':
      return { kind: 'caFloating', method: method(r.at('method'), o.get('method')), hashAlgo: hashAlgo(r.at('hashAlgo'), o.get('hashAlgo')) }
    case '':
      return { kind: 'deferred' }
    case 'hashAlgo,impure,method':
      // C++ only checks the key set; the value of "impure" is not read
      return { kind: 'impure', method: method(r.at('method'), o.get('method')), hashAlgo: hashAlgo(r.at('hashAlgo'), o.get('hashAlgo')) }
    default:
      r.fail(`invalid JSON for derivation output (keys: ${keys || 'none'})`)
  }
}

function nodeFromJson(r: Reader, v: JsonValue, depth: number): DerivedPathMapNode {
  if (depth > 64) r.fail('dynamic outputs nested too deeply')
  const o = r.object(v)
  const outputs = [...new Set(r.at('outputs').strings(r.field(o, 'outputs')))].sort(compareUtf8)
  const dyn = r.at('dynamicOutputs').object(r.field(o, 'dynamicOutputs'))
  const dynamicOutputs = new Map<string, DerivedPathMapNode>()
  for (const [k, c] of dyn) dynamicOutputs.set(k, nodeFromJson(r.at('dynamicOutputs').at(k), c, depth + 1))
  return { outputs, dynamicOutputs }
}

/**
 * A derivation from its JSON form (value or text; C++ `adl_serializer<Derivation>::from_json`).
 * Output paths are taken as given: use `fillInOutputPaths`/`checkInvariants` to validate.
 */
export function derivationFromJson(input: JsonValue | string): Derivation {
  let v: JsonValue
  if (typeof input === 'string') {
    try { v = parseJson(input) } catch (e) {
      if (e instanceof JsonSyntaxError) throw new DerivationJsonError(`invalid derivation JSON: ${e.message}`)
      throw e
    }
  } else v = input
  const r = new Reader()
  const o = r.object(v)
  const version = r.field(o, 'version')
  if (version !== BigInt(DERIVATION_JSON_VERSION)) {
    r.fail(`unsupported derivation JSON format version ${typeof version === 'bigint' || typeof version === 'number' ? String(version) : kindOf(version)}, only format version ${DERIVATION_JSON_VERSION} is currently supported`)
  }
  const name = r.at('name').string(r.field(o, 'name'))

  const outputs = new Map<string, DerivationOutput>()
  const ro = r.at('outputs')
  for (const [k, x] of ro.object(r.field(o, 'outputs'))) outputs.set(k, outputFromJson(x, ro.at(k)))

  const ri = r.at('inputs')
  const inputs = ri.object(r.field(o, 'inputs'))
  const rs = ri.at('srcs')
  const inputSrcs = rs.array(ri.field(inputs, 'srcs')).map((x, i) => rs.at(String(i)).storePath(x))
  const rd = ri.at('drvs')
  const inputDrvs: InputDrv[] = []
  for (const [k, x] of rd.object(ri.field(inputs, 'drvs'))) {
    const path = rd.at(k).storePath(k)
    inputDrvs.push({ path, ...nodeFromJson(rd.at(k), x, 0) })
  }

  const platform = r.at('system').string(r.field(o, 'system'))
  const builder = r.at('builder').string(r.field(o, 'builder'))
  const args = r.at('args').strings(r.field(o, 'args'))
  const re = r.at('env')
  const env = new Map<string, string>()
  for (const [k, x] of re.object(r.field(o, 'env'))) env.set(k, re.at(k).string(x))

  const sa = o.get('structuredAttrs')
  // C++ treats a present "structuredAttrs" as structured attrs (null included, which it rejects)
  const structuredAttrs = sa === undefined ? undefined : StructuredAttrs.fromValue(r.at('structuredAttrs').object(sa))
  return { name, outputs, inputDrvs, inputSrcs, platform, builder, args, env, structuredAttrs }
}
