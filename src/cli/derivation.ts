/**
 * `tsnix derivation show [-r] [--pretty|--no-pretty] [--store STORE] DRV…` — print derivations
 * as JSON the way `nix derivation show` (2.34) does: `{"derivations":{…},"version":4}`,
 * compact unless `--pretty` (or stdout is a terminal).
 *
 * DRV is a `.drv` store path (`/nix/store/…-x.drv`, looked up in the store's real directory)
 * or any file whose name is a `.drv` store path base name. `-r` adds the closure, following
 * input derivations and `.drv` input sources through the files themselves (C++ follows the
 * store's reference graph, which can also pass through non-`.drv` sources).
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { type Derivation, nameFromDrvPath, parseDerivation, printDerivationShow } from '../derivation/index.js'
import { NixError } from '../errors.js'
import { loadSettings, processEnvironment, type StoreLocations } from '../settings/index.js'
import { InvalidPathError, type StoreDir, StorePath } from '../store-path/index.js'

const USAGE = `usage: tsnix derivation show [-r|--recursive] [--pretty|--no-pretty] [--store STORE] DRV...

Print the store derivations DRV (.drv paths) as JSON, as 'nix derivation show' does.
`

export class UsageError extends NixError {
  constructor(message: string) { super('ERR_USAGE', message) }
}

interface ShowArgs {
  recursive: boolean
  pretty: boolean
  store: string | undefined
  paths: string[]
}

function parseArgs(args: readonly string[]): ShowArgs {
  const out: ShowArgs = { recursive: false, pretty: process.stdout.isTTY === true, store: undefined, paths: [] }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '-r' || a === '--recursive') out.recursive = true
    else if (a === '--pretty') out.pretty = true
    else if (a === '--no-pretty') out.pretty = false
    else if (a === '--store') {
      const v = args[++i]
      if (v === undefined) throw new UsageError("flag '--store' requires an argument")
      out.store = v
    } else if (a === '--') {
      out.paths.push(...args.slice(i + 1))
      break
    } else if (a.startsWith('-') && a.length > 1) throw new UsageError(`unrecognised flag '${a}'`)
    else out.paths.push(a)
  }
  return out
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE)
    return sub === undefined ? 1 : 0
  }
  if (sub !== 'show') {
    process.stderr.write(`tsnix derivation: unknown subcommand '${sub}'\n\n${USAGE}`)
    return 1
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  const opts = parseArgs(rest)
  if (opts.paths.length === 0) throw new UsageError('nothing to show: give at least one .drv path')
  const { locations } = loadSettings(await processEnvironment(), opts.store === undefined ? [] : [['store', opts.store]])
  const shown = collect(opts.paths, locations, opts.recursive)
  process.stdout.write(printDerivationShow(shown, opts.pretty) + '\n')
  return 0
}

/** Read the derivations (and with `recursive` their `.drv` closure), keyed by base name. */
export function collect(paths: readonly string[], loc: StoreLocations, recursive: boolean): Array<[StorePath, Derivation]> {
  const found = new Map<string, [StorePath, Derivation]>()
  const todo: Array<{ path: StorePath; file: string }> = paths.map(p => locate(p, loc))
  while (todo.length > 0) {
    const { path, file } = todo.pop()!
    if (found.has(path.baseName)) continue
    const drv = readDrv(path, file, loc.storeDir)
    found.set(path.baseName, [path, drv])
    if (!recursive) continue
    for (const p of [...drv.inputDrvs.map(i => i.path), ...drv.inputSrcs]) {
      if (p.isDerivation() && !found.has(p.baseName)) todo.push({ path: p, file: `${loc.realStoreDir}/${p.baseName}` })
    }
  }
  return [...found.values()]
}

function locate(arg: string, loc: StoreLocations): { path: StorePath; file: string } {
  const base = basename(arg)
  let path: StorePath
  try {
    path = StorePath.fromBaseName(base)
  } catch (e) {
    if (e instanceof InvalidPathError) throw new UsageError(`'${arg}' is not a store path: ${e.message}`)
    throw e
  }
  if (!path.isDerivation()) throw new UsageError(`'${arg}' is not a derivation (.drv) path`)
  // a logical store path is read from where the store really is (chroot stores)
  const inStore = arg === loc.storeDir.print(path)
  return { path, file: inStore ? `${loc.realStoreDir}/${base}` : arg }
}

function readDrv(path: StorePath, file: string, storeDir: StoreDir): Derivation {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`path '${storeDir.print(path)}' is not valid (no file '${file}')`)
    throw e
  }
  try {
    return parseDerivation(bytes, { name: nameFromDrvPath(path), storeDir })
  } catch (e) {
    if (e instanceof Error) e.message = `while reading derivation '${storeDir.print(path)}': ${e.message}`
    throw e
  }
}
