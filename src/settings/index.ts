/**
 * Loading settings the way C++ Nix does for the daemon: defaults, then `$NIX_CONF_DIR/nix.conf`
 * (default /etc/nix), then `NIX_CONFIG`, then command-line `--option`s; `extra-<name>` appends
 * to a list setting. Unknown settings are warnings; invalid values are errors.
 *
 * Also resolves where things live: the logical store dir (hashes), and the physical store,
 * state and log directories — which differ for a chroot store (`store = local?root=…`), the
 * default for a non-root user (`$XDG_DATA_HOME/tsnix/root`).
 */
import { NixError } from '../errors.js'
import { parseStoreReference, StoreDir } from '../store-path/index.js'
import { type ConfigEntry, parseNixConf, type ParseOptions } from './nix-conf.js'
import { defaultSettings, isKnownSetting, KNOWN_IGNORED, SETTING_PARSERS, type SettingName, type Settings } from './schema.js'

export * from './nix-conf.js'
export * from './schema.js'

export class InvalidSettingError extends NixError {
  constructor(message: string) { super('ERR_INVALID_SETTING', message) }
}

export interface Environment {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly isRoot: boolean
  /** Reads a file's text, or undefined if it does not exist. */
  readFile(path: string): string | undefined
}

/** Where the store lives. `storeDir` enters hashes; the rest are real filesystem paths. */
export interface StoreLocations {
  readonly storeDir: StoreDir
  /** Physical location of the store directory (differs from storeDir.path for chroot stores). */
  readonly realStoreDir: string
  readonly stateDir: string
  readonly logDir: string
  readonly confDir: string
  readonly socketPath: string
  /** The chroot root, when the store is a chroot store. */
  readonly root: string | undefined
}

export interface LoadedSettings {
  readonly settings: Settings
  readonly locations: StoreLocations
  readonly warnings: readonly string[]
}

/** Apply one `name = value` (with `extra-` handling) to `settings`; returns a warning or undefined. */
export function applySetting(settings: Settings, name: string, value: string, origin = 'override'): string | undefined {
  let append = false
  let key = name
  if (name.startsWith('extra-') && isKnownSetting(name.slice(6))) { append = true; key = name.slice(6) }
  if (!isKnownSetting(key)) {
    return KNOWN_IGNORED.has(key) || KNOWN_IGNORED.has(name) ? undefined : `unknown setting '${name}'`
  }
  const parsed = SETTING_PARSERS[key].safeParse(value)
  if (!parsed.success) {
    throw new InvalidSettingError(`option '${name}' has invalid value '${value}' (${origin}): ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  }
  const target = settings as Record<SettingName, unknown>
  if (append && Array.isArray(target[key]) && Array.isArray(parsed.data)) target[key] = [...(target[key] as unknown[]), ...parsed.data]
  else target[key] = parsed.data
  return undefined
}

function applyAll(settings: Settings, entries: readonly ConfigEntry[], warnings: string[]): void {
  for (const e of entries) {
    const w = applySetting(settings, e.name, e.value, e.origin)
    if (w) warnings.push(w)
  }
}

export function loadSettings(environment: Environment, options: readonly [string, string][] = []): LoadedSettings {
  const { env, isRoot } = environment
  const settings = defaultSettings(isRoot)
  const warnings: string[] = []
  const confDir = env['NIX_CONF_DIR'] ?? '/etc/nix'
  const parseOpts: ParseOptions = {
    readFile: p => environment.readFile(p),
    resolve: (from, p) => (p.startsWith('/') ? p : from.slice(0, from.lastIndexOf('/') + 1) + p),
  }
  const confFile = `${confDir}/nix.conf`
  const conf = environment.readFile(confFile)
  if (conf !== undefined) applyAll(settings, parseNixConf(conf, confFile, parseOpts), warnings)
  const nixConfig = env['NIX_CONFIG']
  if (nixConfig) applyAll(settings, parseNixConf(nixConfig, 'NIX_CONFIG', parseOpts), warnings)
  for (const [name, value] of options) {
    const w = applySetting(settings, name, value, `--option ${name}`)
    if (w) warnings.push(w)
  }
  return { settings, warnings, locations: resolveLocations(settings, environment, confDir) }
}

function resolveLocations(settings: Settings, { env, isRoot }: Environment, confDir: string): StoreLocations {
  let stateDir = env['NIX_STATE_DIR'] ?? '/nix/var/nix'
  let logDir = env['NIX_LOG_DIR'] ?? '/nix/var/log/nix'
  let root: string | undefined
  let params: ReadonlyMap<string, string> = new Map()

  let ref
  try { ref = parseStoreReference(settings.store) } catch (e) {
    throw new InvalidSettingError(`invalid setting 'store': ${(e as Error).message}`)
  }
  const v = ref.variant
  if (v.kind === 'local' || (v.kind === 'specified' && v.scheme === 'local')) {
    params = ref.params
    // `local:///path` (or a bare path) names the chroot root.
    const pathRoot = v.kind === 'specified' && v.authority !== '' ? v.authority : undefined
    root = params.get('root') ?? pathRoot
  } else if (v.kind === 'auto' || v.kind === 'daemon' || (v.kind === 'specified' && v.scheme === 'unix')) {
    // The daemon serves the local store: `daemon`/`unix://` name how *clients* reach it (a
    // nix.conf shared with clients often says so). A user who cannot write /nix gets a chroot
    // store in their data directory, as C++ Nix does.
    if (!isRoot) {
      const home = env['HOME']
      const dataHome = env['XDG_DATA_HOME'] ?? (home ? `${home}/.local/share` : undefined)
      if (!dataHome) throw new InvalidSettingError('cannot choose a store location: neither XDG_DATA_HOME nor HOME is set')
      root = `${dataHome}/tsnix/root`
    }
  } else {
    throw new InvalidSettingError(`store '${settings.store}' is not supported by the daemon (expected 'auto', 'local', 'local?root=…' or a path)`)
  }
  const storeDir = new StoreDir(params.get('store') ?? env['NIX_STORE_DIR'] ?? '/nix/store')
  let realStoreDir = storeDir.path
  if (root !== undefined) {
    // C++ LocalFSStoreConfig: a chroot store's directories are fixed under the root, whatever
    // NIX_STORE_DIR/NIX_STATE_DIR/NIX_LOG_DIR say (an ssh-ng remote program inherits the
    // client's NIX_STATE_DIR, and must still find the store `--store local?root=…` names).
    realStoreDir = `${root}/nix/store`
    stateDir = `${root}/nix/var/nix`
    logDir = `${root}/nix/var/log/nix`
  }
  stateDir = params.get('state') ?? stateDir
  logDir = params.get('log') ?? logDir
  realStoreDir = params.get('real') ?? realStoreDir
  const socketPath = env['NIX_DAEMON_SOCKET_PATH'] ?? `${stateDir}/daemon-socket/socket`
  return { storeDir, realStoreDir, stateDir, logDir, confDir, socketPath, root }
}

/** The environment of this process (adapter for loadSettings). */
export async function processEnvironment(): Promise<Environment> {
  const { readFileSync } = await import('node:fs')
  return {
    env: process.env,
    isRoot: process.getuid?.() === 0,
    readFile(path) {
      try { return readFileSync(path, 'utf8') } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw e
      }
    },
  }
}
