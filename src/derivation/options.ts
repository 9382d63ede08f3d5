/**
 * What a derivation asks of its build beyond the builder and environment (C++
 * `DerivationOptions`, `derivationOptionsFromStructuredAttrs`): output checks (allowed and
 * disallowed references/requisites, size limits), `unsafeDiscardReferences`, `passAsFile`,
 * `exportReferencesGraph`, sandbox settings, required system features, substitution.
 *
 * Read from the environment (`allowedReferences = "/nix/store/… dev"`, `__noChroot = "1"`) or,
 * with structured attrs, from the JSON (`outputChecks.<output>.allowedReferences`, booleans).
 * With `ca-derivations`, placeholders of input derivations' outputs (`DownstreamPlaceholder`)
 * are understood as those outputs; other names stand for the derivation's own outputs.
 */
import { StoreDir, StorePath } from '../store-path/index.js'
import { InvalidDerivationError } from './errors.js'
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js'
import { compareUtf8, sortedUnique } from './order.js'
import { DownstreamPlaceholder } from './placeholder.js'
import { type Derivation, derivationType, type DerivedPathMapNode, hasKnownOutputPaths } from './types.js'

/** A store path, or an output of a derivation given by a SingleDerivedPath (C++ `SingleDerivedPath`). */
export type SingleDerivedPath =
  | { readonly kind: 'opaque'; readonly path: StorePath }
  | { readonly kind: 'built'; readonly drvPath: SingleDerivedPath; readonly output: string }

/** A reference to check: another path, or an output of this derivation (C++ `DrvRef`). */
export type DrvRef = { readonly kind: 'self'; readonly output: string } | SingleDerivedPath

export interface OutputChecks {
  readonly ignoreSelfRefs: boolean
  readonly maxSize: bigint | undefined
  readonly maxClosureSize: bigint | undefined
  /** undefined: no restriction. */
  readonly allowedReferences: readonly DrvRef[] | undefined
  readonly disallowedReferences: readonly DrvRef[]
  readonly allowedRequisites: readonly DrvRef[] | undefined
  readonly disallowedRequisites: readonly DrvRef[]
}

export interface DerivationOptions {
  /** One set of checks for all outputs (environment form) or one per output (structured attrs). */
  readonly outputChecks:
    | { readonly kind: 'forAllOutputs'; readonly checks: OutputChecks }
    | { readonly kind: 'perOutput'; readonly checks: ReadonlyMap<string, OutputChecks> }
  readonly unsafeDiscardReferences: ReadonlyMap<string, boolean>
  readonly passAsFile: readonly string[]
  readonly exportReferencesGraph: ReadonlyMap<string, readonly SingleDerivedPath[]>
  readonly additionalSandboxProfile: string
  readonly noChroot: boolean
  readonly impureHostDeps: readonly string[]
  readonly impureEnvVars: readonly string[]
  readonly allowLocalNetworking: boolean
  readonly requiredSystemFeatures: readonly string[]
  readonly preferLocalBuild: boolean
  readonly allowSubstitutes: boolean
}

export interface DerivationOptionsContext {
  readonly storeDir?: StoreDir
  /** Whether `ca-derivations` is enabled: placeholders then stand for input outputs. */
  readonly caDerivations?: boolean
  /** Receives the warnings C++ prints (e.g. top-level checks ignored under structured attrs). */
  readonly warn?: (message: string) => void
}

/** C++ `tokenizeString` on whitespace. */
function tokenize(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter(t => t.length > 0)
}

function kindOf(v: JsonValue): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (isJsonObject(v)) return 'object'
  if (typeof v === 'bigint' || typeof v === 'number') return 'number'
  return typeof v
}

function attrError(name: string, msg: string): InvalidDerivationError {
  return new InvalidDerivationError(`while parsing attribute "${name}": ${msg}`)
}

function jsonString(name: string, v: JsonValue): string {
  if (typeof v !== 'string') throw attrError(name, `expected a string, got ${kindOf(v)}`)
  return v
}
function jsonBool(name: string, v: JsonValue): boolean {
  if (typeof v !== 'boolean') throw attrError(name, `expected a boolean, got ${kindOf(v)}`)
  return v
}
function jsonStrings(name: string, v: JsonValue): string[] {
  if (!Array.isArray(v)) throw attrError(name, `expected a list of strings, got ${kindOf(v)}`)
  return (v as readonly JsonValue[]).map(x => jsonString(name, x))
}
function jsonUint(name: string, v: JsonValue): bigint {
  // nlohmann's get<uint64_t>() takes any number (floats truncated)
  if (typeof v === 'bigint' && v >= 0n) return v
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v))
  throw attrError(name, `expected an unsigned integer, got ${kindOf(v)}`)
}

const FILE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/
const TOP_LEVEL_CHECKS = ['allowedReferences', 'allowedRequisites', 'disallowedRequisites', 'disallowedReferences', 'maxSize', 'maxClosureSize']

/** C++ `derivationOptionsFromStructuredAttrs(store, inputDrvs, env, structuredAttrs, …)`. */
export function derivationOptions(drv: Pick<Derivation, 'env' | 'structuredAttrs' | 'inputDrvs'>, ctx: DerivationOptionsContext = {}): DerivationOptions {
  const storeDir = ctx.storeDir ?? new StoreDir()
  const warn = ctx.warn ?? ((): void => {})
  const env = drv.env
  const parsed = drv.structuredAttrs?.attrs

  const placeholders = new Map<string, SingleDerivedPath>()
  if (ctx.caDerivations) {
    const init = (base: SingleDerivedPath, node: DerivedPathMapNode, basePlaceholder: DownstreamPlaceholder | undefined, drvPath: StorePath): void => {
      const placeholderOf = (out: string): DownstreamPlaceholder =>
        basePlaceholder ? DownstreamPlaceholder.unknownDerivation(basePlaceholder, out) : DownstreamPlaceholder.unknownCaOutput(drvPath, out)
      for (const out of node.outputs) placeholders.set(placeholderOf(out).render(), { kind: 'built', drvPath: base, output: out })
      for (const [out, child] of node.dynamicOutputs) init({ kind: 'built', drvPath: base, output: out }, child, placeholderOf(out), drvPath)
    }
    for (const i of drv.inputDrvs) init({ kind: 'opaque', path: i.path }, i, undefined, i.path)
  }

  // `/HASH/sub/path` → the placeholder `/HASH` (as store paths lose their subpath)
  const findPlaceholder = (s: string): SingleDerivedPath | undefined => {
    const slash = s.indexOf('/', 1)
    return placeholders.get(slash < 0 ? s : s.slice(0, slash))
  }
  const parseSingleDerivedPath = (s: string): SingleDerivedPath =>
    findPlaceholder(s) ?? { kind: 'opaque', path: storeDir.toStorePath(s).path }
  const parseRef = (s: string): DrvRef => {
    const p = findPlaceholder(s)
    if (p) return p
    if (storeDir.isStorePath(s)) return { kind: 'opaque', path: storeDir.parse(s) }
    return { kind: 'self', output: s }
  }
  const refs = (ss: readonly string[]): DrvRef[] => sortRefs(ss.map(parseRef))

  const getString = (name: string): string | undefined => {
    if (parsed) { const v = parsed.get(name); return v === undefined ? undefined : jsonString(name, v) }
    return env.get(name)
  }
  const getBool = (name: string, def: boolean): boolean => {
    if (parsed) { const v = parsed.get(name); return v === undefined ? def : jsonBool(name, v) }
    const v = env.get(name)
    return v === undefined ? def : v === '1'
  }
  const getStringSet = (name: string): string[] | undefined => {
    if (parsed) { const v = parsed.get(name); return v === undefined ? undefined : sortedUnique(jsonStrings(name, v)) }
    const v = env.get(name)
    return v === undefined ? undefined : sortedUnique(tokenize(v))
  }

  if (parsed) {
    for (const k of TOP_LEVEL_CHECKS) {
      if (parsed.has(k)) warn(`'structuredAttrs' disables the effect of the top-level attribute '${k}'; use 'outputChecks' instead`)
    }
  }

  let outputChecks: DerivationOptions['outputChecks']
  if (parsed) {
    const per = new Map<string, OutputChecks>()
    const oc = parsed.get('outputChecks')
    if (oc !== undefined) {
      if (!isJsonObject(oc)) throw attrError('outputChecks', `expected an object, got ${kindOf(oc)}`)
      for (const [out, v] of oc) {
        if (!isJsonObject(v)) throw attrError(`outputChecks."${out}"`, `expected an object, got ${kindOf(v)}`)
        const list = (name: string): DrvRef[] | undefined => {
          const x = v.get(name)
          return x === undefined ? undefined : refs(jsonStrings(`outputChecks."${out}".${name}`, x))
        }
        const size = (name: string): bigint | undefined => {
          const x = v.get(name)
          return x === undefined ? undefined : jsonUint(`outputChecks."${out}".${name}`, x)
        }
        per.set(out, {
          ignoreSelfRefs: false,
          maxSize: size('maxSize'),
          maxClosureSize: size('maxClosureSize'),
          allowedReferences: list('allowedReferences'),
          disallowedReferences: list('disallowedReferences') ?? [],
          allowedRequisites: list('allowedRequisites'),
          disallowedRequisites: list('disallowedRequisites') ?? [],
        })
      }
    }
    outputChecks = { kind: 'perOutput', checks: per }
  } else {
    const set = (name: string): DrvRef[] | undefined => {
      const ss = getStringSet(name)
      return ss === undefined ? undefined : refs(ss)
    }
    outputChecks = {
      kind: 'forAllOutputs',
      checks: {
        ignoreSelfRefs: true,
        maxSize: undefined,
        maxClosureSize: undefined,
        allowedReferences: set('allowedReferences'),
        disallowedReferences: set('disallowedReferences') ?? [],
        allowedRequisites: set('allowedRequisites'),
        disallowedRequisites: set('disallowedRequisites') ?? [],
      },
    }
  }

  const unsafeDiscardReferences = new Map<string, boolean>()
  const udr = parsed?.get('unsafeDiscardReferences')
  if (udr !== undefined) {
    if (!isJsonObject(udr)) throw attrError('unsafeDiscardReferences', `expected an object, got ${kindOf(udr)}`)
    for (const [out, b] of udr) unsafeDiscardReferences.set(out, jsonBool('unsafeDiscardReferences', b))
  }

  let passAsFile: string[] = []
  const paf = env.get('passAsFile')
  if (paf !== undefined) {
    if (parsed) warn("'structuredAttrs' disables the effect of the top-level attribute 'passAsFile'; because all JSON is always passed via file")
    else passAsFile = sortedUnique(tokenize(paf))
  }

  const exportReferencesGraph = new Map<string, SingleDerivedPath[]>()
  if (parsed) {
    const e = parsed.get('exportReferencesGraph')
    if (e !== undefined) {
      if (!isJsonObject(e)) warn("'exportReferencesGraph' in structured attrs is not a JSON object, ignoring")
      else {
        for (const [key, v] of e) {
          const ss = new Set<string>()
          flatten(v, ss)
          exportReferencesGraph.set(key, sortPaths([...ss].map(parseSingleDerivedPath)))
        }
      }
    }
  } else {
    const s = env.get('exportReferencesGraph') ?? ''
    const ss = tokenize(s)
    if (ss.length % 2 !== 0) throw new InvalidDerivationError(`odd number of tokens in 'exportReferencesGraph': '${s}'`)
    for (let i = 0; i < ss.length; i += 2) {
      const fileName = ss[i]!
      if (!FILE_NAME.test(fileName)) throw new InvalidDerivationError(`invalid file name '${fileName}' in 'exportReferencesGraph'`)
      exportReferencesGraph.set(fileName, [parseSingleDerivedPath(ss[i + 1]!)])
    }
  }

  return {
    outputChecks,
    unsafeDiscardReferences,
    passAsFile,
    exportReferencesGraph,
    additionalSandboxProfile: getString('__sandboxProfile') ?? '',
    noChroot: getBool('__noChroot', false),
    impureHostDeps: getStringSet('__impureHostDeps') ?? [],
    impureEnvVars: getStringSet('impureEnvVars') ?? [],
    allowLocalNetworking: getBool('__darwinAllowLocalNetworking', false),
    requiredSystemFeatures: getStringSet('requiredSystemFeatures') ?? [],
    preferLocalBuild: getBool('preferLocalBuild', false),
    allowSubstitutes: getBool('allowSubstitutes', true),
  }
}

function flatten(v: JsonValue, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v as readonly JsonValue[]) flatten(x, out)
  else if (typeof v === 'string') out.add(v)
  else throw new InvalidDerivationError("'exportReferencesGraph' value is not an array or a string")
}

/** C++ `getRequiredSystemFeatures`: the stated ones, plus `ca-derivations` when outputs float. */
export function requiredSystemFeatures(options: DerivationOptions, drv: Pick<Derivation, 'outputs'>): string[] {
  const res = new Set(options.requiredSystemFeatures)
  if (!hasKnownOutputPaths(derivationType(drv))) res.add('ca-derivations')
  return sortedUnique(res)
}

/** C++ `useUidRange`. */
export function useUidRange(options: DerivationOptions, drv: Pick<Derivation, 'outputs'>): boolean {
  return requiredSystemFeatures(options, drv).includes('uid-range')
}

/** C++ `substitutesAllowed` (the `always-allow-substitutes` setting overrides). */
export function substitutesAllowed(options: DerivationOptions, alwaysAllowSubstitutes: boolean): boolean {
  return alwaysAllowSubstitutes || options.allowSubstitutes
}

// ---------------------------------------------------------------------------------------------
// Order (C++ std::set over std::variant: alternatives in declaration order, then by value)

export function compareSingleDerivedPath(a: SingleDerivedPath, b: SingleDerivedPath): number {
  if (a.kind !== b.kind) return a.kind === 'opaque' ? -1 : 1
  if (a.kind === 'opaque') return compareUtf8(a.path.baseName, (b as typeof a).path.baseName)
  const bb = b as typeof a
  return compareSingleDerivedPath(a.drvPath, bb.drvPath) || compareUtf8(a.output, bb.output)
}

export function compareDrvRef(a: DrvRef, b: DrvRef): number {
  if (a.kind === 'self') return b.kind === 'self' ? compareUtf8(a.output, b.output) : -1
  if (b.kind === 'self') return 1
  return compareSingleDerivedPath(a, b)
}

function sortRefs(rs: DrvRef[]): DrvRef[] {
  return rs.sort(compareDrvRef).filter((r, i, a) => i === 0 || compareDrvRef(a[i - 1]!, r) !== 0)
}
function sortPaths(ps: SingleDerivedPath[]): SingleDerivedPath[] {
  return ps.sort(compareSingleDerivedPath).filter((p, i, a) => i === 0 || compareSingleDerivedPath(a[i - 1]!, p) !== 0)
}

// ---------------------------------------------------------------------------------------------
// JSON (C++ `adl_serializer<DerivationOptions<SingleDerivedPath>>`)

export function singleDerivedPathToJson(p: SingleDerivedPath): JsonValue {
  return p.kind === 'opaque' ? p.path.baseName : new Map<string, JsonValue>([['drvPath', singleDerivedPathToJson(p.drvPath)], ['output', p.output]])
}

export function drvRefToJson(r: DrvRef): JsonValue {
  return r.kind === 'self' ? new Map<string, JsonValue>([['drvPath', 'self'], ['output', r.output]]) : singleDerivedPathToJson(r)
}

function outputChecksToJson(c: OutputChecks): JsonObject {
  const list = (rs: readonly DrvRef[] | undefined): JsonValue => (rs === undefined ? null : rs.map(drvRefToJson))
  return new Map<string, JsonValue>([
    ['allowedReferences', list(c.allowedReferences)],
    ['allowedRequisites', list(c.allowedRequisites)],
    ['disallowedReferences', list(c.disallowedReferences)],
    ['disallowedRequisites', list(c.disallowedRequisites)],
    ['ignoreSelfRefs', c.ignoreSelfRefs],
    ['maxClosureSize', c.maxClosureSize ?? null],
    ['maxSize', c.maxSize ?? null],
  ])
}

export function derivationOptionsToJson(o: DerivationOptions): JsonObject {
  const checks: JsonValue = o.outputChecks.kind === 'forAllOutputs'
    ? new Map([['forAllOutputs', outputChecksToJson(o.outputChecks.checks)]])
    : new Map([['perOutput', new Map([...o.outputChecks.checks].map(([k, c]) => [k, outputChecksToJson(c)]))]])
  return new Map<string, JsonValue>([
    ['additionalSandboxProfile', o.additionalSandboxProfile],
    ['allowLocalNetworking', o.allowLocalNetworking],
    ['allowSubstitutes', o.allowSubstitutes],
    ['exportReferencesGraph', new Map([...o.exportReferencesGraph].map(([k, ps]) => [k, ps.map(singleDerivedPathToJson)]))],
    ['impureEnvVars', [...o.impureEnvVars]],
    ['impureHostDeps', [...o.impureHostDeps]],
    ['noChroot', o.noChroot],
    ['outputChecks', checks],
    ['passAsFile', [...o.passAsFile]],
    ['preferLocalBuild', o.preferLocalBuild],
    ['requiredSystemFeatures', [...o.requiredSystemFeatures]],
    ['unsafeDiscardReferences', new Map([...o.unsafeDiscardReferences])],
  ])
}

function fail(msg: string): never { throw new InvalidDerivationError(`invalid derivation options JSON: ${msg}`) }
function obj(v: JsonValue | undefined, what: string): JsonObject {
  if (!isJsonObject(v)) fail(`'${what}' must be an object`)
  return v
}
function field(o: JsonObject, k: string): JsonValue {
  const v = o.get(k)
  if (v === undefined) fail(`missing key '${k}'`)
  return v
}

/** `"<base>"` or `{"drvPath": …, "output": …}`. */
export function singleDerivedPathFromJson(v: JsonValue): SingleDerivedPath {
  if (typeof v === 'string') return { kind: 'opaque', path: StorePath.fromBaseName(v) }
  const o = obj(v, 'derived path')
  return { kind: 'built', drvPath: singleDerivedPathFromJson(field(o, 'drvPath')), output: jsonString('output', field(o, 'output')) }
}

export function drvRefFromJson(v: JsonValue): DrvRef {
  if (isJsonObject(v) && v.get('drvPath') === 'self') return { kind: 'self', output: jsonString('output', field(v, 'output')) }
  return singleDerivedPathFromJson(v)
}

function outputChecksFromJson(v: JsonValue): OutputChecks {
  const o = obj(v, 'outputChecks')
  const list = (k: string): DrvRef[] | undefined => {
    const x = field(o, k)
    if (x === null) return undefined
    if (!Array.isArray(x)) fail(`'${k}' must be an array or null`)
    return sortRefs((x as readonly JsonValue[]).map(drvRefFromJson))
  }
  const size = (k: string): bigint | undefined => { const x = field(o, k); return x === null ? undefined : jsonUint(k, x) }
  return {
    ignoreSelfRefs: jsonBool('ignoreSelfRefs', field(o, 'ignoreSelfRefs')),
    maxSize: size('maxSize'),
    maxClosureSize: size('maxClosureSize'),
    allowedReferences: list('allowedReferences'),
    disallowedReferences: list('disallowedReferences') ?? fail("'disallowedReferences' must be an array"),
    allowedRequisites: list('allowedRequisites'),
    disallowedRequisites: list('disallowedRequisites') ?? fail("'disallowedRequisites' must be an array"),
  }
}

/** C++ `adl_serializer<DerivationOptions<…>>::from_json`. */
export function derivationOptionsFromJson(v: JsonValue): DerivationOptions {
  const o = obj(v, 'options')
  const oc = obj(field(o, 'outputChecks'), 'outputChecks')
  const all = oc.get('forAllOutputs')
  const per = oc.get('perOutput')
  let outputChecks: DerivationOptions['outputChecks']
  if (all !== undefined && per === undefined) outputChecks = { kind: 'forAllOutputs', checks: outputChecksFromJson(all) }
  else if (per !== undefined && all === undefined) outputChecks = { kind: 'perOutput', checks: new Map([...obj(per, 'perOutput')].map(([k, c]) => [k, outputChecksFromJson(c)])) }
  else fail("exactly one of 'perOutput' or 'forAllOutputs' is required")
  const strings = (k: string): string[] => sortedUnique(jsonStrings(k, field(o, k)))
  return {
    outputChecks,
    unsafeDiscardReferences: new Map([...obj(field(o, 'unsafeDiscardReferences'), 'unsafeDiscardReferences')].map(([k, b]) => [k, jsonBool(k, b)])),
    passAsFile: strings('passAsFile'),
    exportReferencesGraph: new Map([...obj(field(o, 'exportReferencesGraph'), 'exportReferencesGraph')].map(([k, ps]) => {
      if (!Array.isArray(ps)) fail(`'exportReferencesGraph.${k}' must be an array`)
      return [k, sortPaths((ps as readonly JsonValue[]).map(singleDerivedPathFromJson))]
    })),
    additionalSandboxProfile: jsonString('additionalSandboxProfile', field(o, 'additionalSandboxProfile')),
    noChroot: jsonBool('noChroot', field(o, 'noChroot')),
    impureHostDeps: strings('impureHostDeps'),
    impureEnvVars: strings('impureEnvVars'),
    allowLocalNetworking: jsonBool('allowLocalNetworking', field(o, 'allowLocalNetworking')),
    requiredSystemFeatures: strings('requiredSystemFeatures'),
    preferLocalBuild: jsonBool('preferLocalBuild', field(o, 'preferLocalBuild')),
    allowSubstitutes: jsonBool('allowSubstitutes', field(o, 'allowSubstitutes')),
  }
}
