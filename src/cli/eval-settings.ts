/**
 * The evaluator-related settings of nix.conf, `NIX_CONFIG`, the environment and command-line
 * flags (`--option name value`, `--name value`, `--show-trace`, `--no-show-trace`, `--impure`),
 * mapped onto `EvalSettings`. Kept apart from src/settings (whose zod schema costs ~0.4 s to
 * load) because `tsnix instantiate -E 1` must start in 0.1 s; values are checked by hand.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EvalSettings, LookupPathEntry } from '../eval/eval-state.js'
import type { LintLevel } from '../eval/parser/parser.js'
import { parseNixConf, splitList } from '../settings/nix-conf.js'

export class EvalSettingsError extends Error {}

/** Names this CLI understands as settings (C++ setting names). */
const BOOL = new Set(['show-trace', 'pure-eval', 'restrict-eval', 'trace-verbose', 'abort-on-warn', 'allow-import-from-derivation', 'read-only'])
const VALUE = new Set([
  'max-call-depth', 'experimental-features', 'extra-experimental-features', 'nix-path', 'extra-nix-path', 'system', 'eval-system',
  'store', 'lint-url-literals', 'lint-short-path-literals', 'lint-absolute-path-literals',
])

export function isSettingName(name: string): boolean {
  return BOOL.has(name) || VALUE.has(name) || (name.startsWith('extra-') && VALUE.has(name.slice(6)))
}
export function isBoolSetting(name: string): boolean { return BOOL.has(name) }

const readText = (p: string): string | undefined => {
  try { return readFileSync(p, 'utf8') } catch { return undefined }
}

/** Settings from nix.conf files and NIX_CONFIG, as name → value text (later wins, extra- appends). */
export function loadConfig(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>()
  const apply = (text: string | undefined, origin: string): void => {
    if (text === undefined) return
    for (const e of parseNixConf(text, origin, { readFile: readText, resolve: (from, p) => (p.startsWith('/') ? p : join(from, '..', p)) })) {
      applyConfigEntry(out, e.name, e.value)
    }
  }
  const confDir = env['NIX_CONF_DIR'] ?? '/etc/nix'
  apply(readText(join(confDir, 'nix.conf')), join(confDir, 'nix.conf'))
  const userFiles = env['NIX_USER_CONF_FILES']
  if (userFiles !== undefined) {
    for (const f of userFiles.split(':').filter(Boolean)) apply(readText(f), f)
  } else {
    const xdg = env['XDG_CONFIG_HOME'] ?? (env['HOME'] ? join(env['HOME'], '.config') : undefined)
    if (xdg) apply(readText(join(xdg, 'nix', 'nix.conf')), join(xdg, 'nix', 'nix.conf'))
  }
  if (env['NIX_CONFIG'] !== undefined) apply(env['NIX_CONFIG'], 'NIX_CONFIG')
  return out
}

export function applyConfigEntry(out: Map<string, string>, name: string, value: string): void {
  if (name.startsWith('extra-') && VALUE.has(name.slice(6))) {
    const base = name.slice(6)
    const prev = out.get(base)
    out.set(base, prev ? `${prev} ${value}` : value)
  } else out.set(name, value)
}

function parseBool(name: string, v: string): boolean {
  if (v === 'true') return true
  if (v === 'false') return false
  throw new EvalSettingsError(`option '${name}' has invalid value '${v}'`)
}

function parseLint(name: string, v: string): LintLevel {
  if (v === 'ignore' || v === 'warn' || v === 'fatal') return v
  throw new EvalSettingsError(`option '${name}' has invalid value '${v}'`)
}

/** NIX_PATH / nix-path entries: `prefix=path` or `path`; `:`-separated, URLs kept whole. */
export function parseLookupPath(entries: string[]): LookupPathEntry[] {
  return entries.filter(e => e !== '').map(e => {
    const i = e.indexOf('=')
    return i < 0 ? { prefix: '', path: e } : { prefix: e.slice(0, i), path: e.slice(i + 1) }
  })
}

export function splitNixPath(s: string): string[] {
  const out: string[] = []
  let cur = ''
  const parts = s.split(':')
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!
    cur = cur === '' ? p : `${cur}:${p}`
    // Keep "http://…", "https://…", "channel:…", "flake:…" together.
    const next = parts[i + 1]
    if (next !== undefined && (/(^|=)(https?|ftp|file)$/.test(cur) && next.startsWith('//'))) continue
    if (next !== undefined && /(^|=)(channel|flake)$/.test(cur)) continue
    out.push(cur)
    cur = ''
  }
  if (cur !== '') out.push(cur)
  return out
}

export interface CliSettings {
  config: Map<string, string>
  /** -I entries, in order. */
  includes: string[]
}

export function toEvalSettings(cli: CliSettings, env: NodeJS.ProcessEnv, cwd: string): Partial<EvalSettings> {
  const c = cli.config
  const s: Partial<EvalSettings> = { cwd: Buffer.from(cwd, 'utf8').toString('latin1') }
  const b = (name: string): boolean | undefined => (c.has(name) ? parseBool(name, c.get(name)!) : undefined)
  const show = b('show-trace'); if (show !== undefined) s.showTrace = show
  const pure = b('pure-eval'); if (pure !== undefined) s.pureEval = pure
  const restrict = b('restrict-eval'); if (restrict !== undefined) s.restrictEval = restrict
  const tv = b('trace-verbose'); if (tv !== undefined) s.traceVerbose = tv
  const aow = b('abort-on-warn'); if (aow !== undefined) s.abortOnWarn = aow
  if (env['NIX_ABORT_ON_WARN'] === '1') s.abortOnWarn = true
  if (c.has('max-call-depth')) {
    const v = c.get('max-call-depth')!
    if (!/^[0-9]+$/.test(v)) throw new EvalSettingsError(`option 'max-call-depth' has invalid value '${v}'`)
    s.maxCallDepth = Number(v)
  }
  s.experimentalFeatures = new Set(splitList(c.get('experimental-features') ?? ''))
  if (c.has('eval-system') && c.get('eval-system') !== '') s.currentSystem = c.get('eval-system')!
  else if (c.has('system')) s.currentSystem = c.get('system')!
  for (const [k, key] of [['lint-url-literals', 'lintUrlLiterals'], ['lint-short-path-literals', 'lintShortPathLiterals'], ['lint-absolute-path-literals', 'lintAbsolutePathLiterals']] as const) {
    if (c.has(k)) s[key] = parseLint(k, c.get(k)!)
  }
  // Store dir: NIX_STORE_DIR, or `store = …?store=/dir`.
  const storeUrl = c.get('store') ?? env['NIX_REMOTE'] ?? ''
  const m = /[?&]store=([^&]+)/.exec(storeUrl)
  s.storeDir = env['NIX_STORE_DIR'] ?? (m ? decodeURIComponent(m[1]!) : '/nix/store')
  // Lookup path: -I entries, then NIX_PATH (or the nix-path setting).
  const nixPathEntries = env['NIX_PATH'] !== undefined ? splitNixPath(env['NIX_PATH']) : splitList(c.get('nix-path') ?? '')
  s.nixPath = parseLookupPath([...cli.includes, ...nixPathEntries].map(x => Buffer.from(x, 'utf8').toString('latin1')))
  const home = env['HOME']
  if (home !== undefined) s.home = Buffer.from(home, 'utf8').toString('latin1')
  s.nixVersion = '2.34.8'
  return s
}
