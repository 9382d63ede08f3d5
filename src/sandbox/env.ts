/**
 * Derivation → builder environment and build-directory files, as C++ Nix computes them
 * (derivation-builder.cc `initEnv`, derivation-env-desugar.cc; build-sandbox.md §1.6).
 * Pure: store lookups (exportReferencesGraph) come in as functions.
 *
 * Nix keeps the environment in a `std::map`, so later assignments override earlier ones and
 * the builder receives the variables sorted by name (bytewise); `computeBuildEnv` returns
 * that final list.
 */
import { createHash } from 'node:crypto'
import { type BasicDerivation, derivationType, dumpJson, isJsonObject, type JsonObject, type JsonValue, JsonSyntaxError, parseJson } from '../derivation/index.js'
import { encodeNix32 } from '../store-path/index.js'
import { SandboxRequestError } from './errors.js'
import { compareBytes, writeStructuredAttrsShell } from './structured-attrs.js'
import type { BuildDirFile } from './types.js'

/** The derivation kinds that matter for the environment and the sandbox. */
export type DerivationKind = 'input-addressed' | 'fixed-output' | 'floating-ca' | 'impure'

/** The minimal derivation the environment needs (a `src/derivation` Derivation maps onto it). */
export interface DerivationLike {
  builder: string
  args: readonly string[]
  /** `system`, e.g. `x86_64-linux`. */
  platform: string
  /** The derivation's `env` (its attributes as strings; may hold `__json` instead of `structuredAttrs`). */
  env: ReadonlyMap<string, string> | Readonly<Record<string, string>>
  /** The parsed `__json` of a structured-attrs derivation. */
  structuredAttrs?: JsonObject | undefined
  /** Output names with the paths the builder must create (placeholders already resolved). */
  outputs: ReadonlyArray<{ name: string; path: string }>
  kind: DerivationKind
}

export interface EnvOptions {
  /** The logical store directory (`NIX_STORE`). */
  storeDir: string
  /** `sandbox-build-dir` for sandboxed builds (default `/build`); the host build dir otherwise. */
  buildDir?: string
  /** `NIX_BUILD_CORES`: the client's `cores` setting (HEAD: 0 means the detected count, resolve it before). */
  cores: number
  /**
   * Value of an impure variable (fixed-output/impure builds only): HEAD's `impure-env` setting
   * first, then the daemon's own environment. Unset names become empty strings.
   */
  impureEnv?: (name: string) => string | undefined
  /** Non-structured exportReferencesGraph: the validity-registration text for these store paths' closure. */
  referencesGraphText?: (storePaths: string[]) => string
  /** Structured exportReferencesGraph: the JSON array of path infos for these store paths' closure. */
  referencesGraphJson?: (storePaths: string[]) => JsonValue
  /**
   * Strings replaced in args, env and files (Nix `inputRewrites`: output placeholders →
   * scratch output paths, for derivations whose output paths are not known up front).
   */
  rewrites?: ReadonlyArray<readonly [string, string]>
}

export interface BuildEnv {
  /** argv after argv[0], rewritten. */
  args: string[]
  /** The final environment, sorted by name as Nix passes it. */
  env: Array<readonly [string, string]>
  /** Files for the build directory (passAsFile, .attrs.*, exportReferencesGraph). */
  files: BuildDirFile[]
  /** True when `__json` was present. */
  structured: boolean
}

const entriesOf = (env: DerivationLike['env']): Array<[string, string]> =>
  env instanceof Map ? [...(env as ReadonlyMap<string, string>).entries()] : Object.entries(env as Record<string, string>)

/** Nix `tokenizeString` with its default separators. */
export function tokenize(s: string): string[] {
  return s.split(/[ \t\n\r]+/).filter(t => t.length > 0)
}

/** `.attr-<nix32(sha256(name))>`, the passAsFile file name (derivation-env-desugar.cc). */
export function passAsFileName(name: string): string {
  return '.attr-' + encodeNix32(createHash('sha256').update(name).digest())
}

/** Is this derivation built in a private network namespace (Nix `isSandboxed()`)? */
export function isSandboxed(kind: DerivationKind): boolean {
  return kind === 'input-addressed' || kind === 'floating-ca'
}

const EXPORT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/** Pairs of (file name, store paths) from exportReferencesGraph, validated as Nix does. */
function exportReferencesGraphPairs(structured: JsonObject | undefined, env: Map<string, string>): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = []
  if (structured) {
    const e = structured.get('exportReferencesGraph')
    if (!isJsonObject(e)) return out
    for (const [name, v] of e) {
      const paths: readonly JsonValue[] = Array.isArray(v) ? (v as readonly JsonValue[]) : [v]
      if (!paths.every(p => typeof p === 'string')) throw new SandboxRequestError(`exportReferencesGraph value for '${name}' must be a list of strings`)
      out.push([name, paths as string[]])
    }
    return out
  }
  const raw = env.get('exportReferencesGraph')
  if (raw === undefined) return out
  const tokens = tokenize(raw)
  if (tokens.length % 2 !== 0) throw new SandboxRequestError("odd number of tokens in 'exportReferencesGraph'")
  for (let k = 0; k < tokens.length; k += 2) {
    const name = tokens[k]!
    if (!EXPORT_NAME.test(name)) throw new SandboxRequestError(`invalid file name '${name}' in 'exportReferencesGraph'`)
    out.push([name, [tokens[k + 1]!]])
  }
  return out
}

function applyRewrites(s: string, rewrites: ReadonlyArray<readonly [string, string]>): string {
  for (const [from, to] of rewrites) if (from.length > 0) s = s.split(from).join(to)
  return s
}

/**
 * The builder's argv tail, environment and build-dir files for `drv`, in Nix's order of
 * precedence (build-sandbox.md §1.6).
 */
export function computeBuildEnv(drv: DerivationLike, opts: EnvOptions): BuildEnv {
  const buildDir = opts.buildDir ?? '/build'
  const rewrites = opts.rewrites ?? []
  const drvEnv = new Map(entriesOf(drv.env))
  const env = new Map<string, string>()
  const files: BuildDirFile[] = []
  const addFile = (name: string, contents: string): void => {
    const i = files.findIndex(f => f.name === name)
    if (i >= 0) files.splice(i, 1)
    files.push({ name, contents: applyRewrites(contents, rewrites) })
  }

  env.set('PATH', '/path-not-set')
  env.set('HOME', '/homeless-shelter')
  env.set('NIX_STORE', opts.storeDir)
  env.set('NIX_BUILD_CORES', String(opts.cores))

  let structured: JsonObject | undefined = drv.structuredAttrs
  const jsonText = drvEnv.get('__json')
  if (structured === undefined && jsonText !== undefined) {
    let parsed: JsonValue
    try { parsed = parseJson(jsonText) } catch (e) {
      if (e instanceof JsonSyntaxError) throw new SandboxRequestError(`cannot process __json attribute: ${e.message}`)
      throw e
    }
    if (!isJsonObject(parsed)) throw new SandboxRequestError('cannot process __json attribute: expected a JSON object')
    structured = parsed
  }

  if (structured) {
    const json = new Map(structured)
    const outputs = new Map<string, JsonValue>()
    for (const o of drv.outputs) outputs.set(o.name, o.path)
    json.set('outputs', outputs)
    for (const [name, paths] of exportReferencesGraphPairs(structured, drvEnv)) {
      if (!opts.referencesGraphJson) throw new SandboxRequestError('exportReferencesGraph needs path information (referencesGraphJson)')
      json.set(name, opts.referencesGraphJson(paths))
    }
    addFile('.attrs.sh', writeStructuredAttrsShell(json))
    env.set('NIX_ATTRS_SH_FILE', `${buildDir}/.attrs.sh`)
    addFile('.attrs.json', dumpJson(json))
    env.set('NIX_ATTRS_JSON_FILE', `${buildDir}/.attrs.json`)
  } else {
    const passAsFile = new Set(tokenize(drvEnv.get('passAsFile') ?? ''))
    for (const [k, v] of drvEnv) {
      if (!passAsFile.has(k)) env.set(k, v)
      else {
        const fn = passAsFileName(k)
        addFile(fn, v)
        env.set(k + 'Path', `${buildDir}/${fn}`)
      }
    }
    for (const [name, paths] of exportReferencesGraphPairs(undefined, drvEnv)) {
      if (!opts.referencesGraphText) throw new SandboxRequestError('exportReferencesGraph needs path information (referencesGraphText)')
      addFile(name, opts.referencesGraphText(paths))
    }
  }

  env.set('NIX_BUILD_TOP', buildDir)
  for (const k of ['TMPDIR', 'TEMPDIR', 'TMP', 'TEMP', 'PWD']) env.set(k, buildDir)
  if (drv.kind === 'fixed-output') env.set('NIX_OUTPUT_CHECKED', '1')
  if (!isSandboxed(drv.kind)) {
    const names = structured ? stringList(structured.get('impureEnvVars'), 'impureEnvVars') : tokenize(drvEnv.get('impureEnvVars') ?? '')
    for (const n of names) env.set(n, opts.impureEnv?.(n) ?? '')
  }
  env.set('NIX_LOG_FD', '2')
  env.set('TERM', 'xterm-256color')

  const sorted = [...env.entries()]
    .map(([k, v]) => [k, applyRewrites(v, rewrites)] as const)
    .sort((a, b) => compareBytes(a[0], b[0]))
  return { args: drv.args.map(a => applyRewrites(a, rewrites)), env: sorted, files, structured: structured !== undefined }
}

function stringList(v: JsonValue | undefined, what: string): string[] {
  if (v === undefined) return []
  if (!Array.isArray(v) || !(v as readonly JsonValue[]).every(x => typeof x === 'string')) throw new SandboxRequestError(`attribute '${what}' must be a list of strings`)
  return v as string[]
}

/** The sandbox's kind of a derivation (src/derivation `derivationType`). */
export function derivationKind(drv: Pick<BasicDerivation, 'outputs'>): DerivationKind {
  const t = derivationType(drv)
  if (t.kind === 'inputAddressed') return 'input-addressed'
  if (t.kind === 'impure') return 'impure'
  return t.fixed ? 'fixed-output' : 'floating-ca'
}

/**
 * A src/derivation `BasicDerivation` as the sandbox needs it. `outputPaths` gives the path the
 * builder writes each output to: the known path, or the glue's scratch path for floating
 * outputs (then pass the placeholder → path pairs as `rewrites`).
 */
export function fromBasicDerivation(drv: BasicDerivation, outputPaths: ReadonlyMap<string, string>): DerivationLike {
  const outputs = [...drv.outputs.keys()].map(name => {
    const path = outputPaths.get(name)
    if (path === undefined) throw new SandboxRequestError(`no path given for output '${name}'`)
    return { name, path }
  })
  return {
    builder: drv.builder,
    args: drv.args,
    platform: drv.platform,
    env: drv.env,
    structuredAttrs: drv.structuredAttrs?.attrs,
    outputs,
    kind: derivationKind(drv),
  }
}

/**
 * The exportReferencesGraph text file (Nix `makeValidityRegistration(paths, false, false)`):
 * per path, sorted: the path, an empty deriver line, the reference count, the references.
 */
export function renderValidityRegistration(infos: ReadonlyArray<{ path: string; references: readonly string[] }>): string {
  let s = ''
  for (const info of [...infos].sort((a, b) => compareBytes(a.path, b.path))) {
    const refs = [...info.references].sort(compareBytes)
    s += `${info.path}\n\n${refs.length}\n` + refs.map(r => r + '\n').join('')
  }
  return s
}
