/**
 * What the `tsnix store <subcommand>` modules share: the common flags (`--store URL`,
 * `--option NAME VALUE`, `-v`/`--quiet`), opening the local store from the same settings the
 * daemon reads (nix.conf, NIX_CONFIG, NIX_STORE_DIR, NIX_STATE_DIR, …), a trusted operation
 * context, a logger printing to stderr as C++ Nix does, and writing a byte stream to stdout.
 */
import { writeSync } from 'node:fs'
import { type Logger, Verbosity } from '../logger.js'
import { loadSettings, processEnvironment } from '../settings/index.js'
import { openLocalStore, type LocalStore, type OpContext } from '../store/index.js'

export class UsageError extends Error {}

export interface CommonArgs {
  readonly options: Array<[string, string]>
  verbosity: Verbosity
  /** Flags and positionals other than the common ones, in order. */
  readonly rest: string[]
}

/** Take the common flags out of `argv`. */
export function parseCommon(argv: readonly string[]): CommonArgs {
  const a: CommonArgs = { options: [], verbosity: Verbosity.Info, rest: [] }
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!
    if (x === '--store') {
      const v = argv[++i]
      if (v === undefined) throw new UsageError("flag '--store' requires 1 argument")
      a.options.push(['store', v])
    } else if (x === '--option') {
      const n = argv[++i], v = argv[++i]
      if (n === undefined || v === undefined) throw new UsageError("flag '--option' requires 2 arguments")
      a.options.push([n, v])
    } else if (x === '-v' || x === '--verbose') a.verbosity++
    else if (/^-v+$/.test(x)) a.verbosity += x.length - 1
    else if (x === '--quiet') a.verbosity = Math.max(0, a.verbosity - 1)
    else a.rest.push(x)
  }
  return a
}

/** Log lines to stderr up to `verbosity` (C++ `printInfo`/`printError`/`warn`). */
export function stderrLogger(verbosity: Verbosity): Logger {
  return {
    log(level, message) { if (level <= verbosity) process.stderr.write(message + '\n') },
    warn(message) { process.stderr.write(`warning: ${message}\n`) },
    startActivity(_type, level, text) {
      if (text && level <= verbosity) process.stderr.write(text + '\n')
      return { id: 0n, result() {}, stop() {} }
    },
  }
}

/** A local user operating on the store directly is trusted (as `nix-store` run by root). */
export function cliContext(logger: Logger): OpContext {
  return {
    trusted: true,
    logger,
    clientId: 'cli',
    settings: { keepFailed: false, keepGoing: false, tryFallback: false, maxBuildJobs: 1, maxSilentTime: 0, buildCores: 0, useSubstitutes: false, overrides: new Map() },
  }
}

export async function openStoreFromArgs(a: CommonArgs): Promise<LocalStore> {
  const loaded = loadSettings(await processEnvironment(), a.options)
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`)
  return openLocalStore({ locations: loaded.locations, settings: loaded.settings })
}

/** Run `fn` with the store open, closing it afterwards; usage errors print the usage. */
export async function withStore(argv: readonly string[], usage: string, fn: (store: LocalStore, a: CommonArgs) => Promise<number>): Promise<number> {
  let a: CommonArgs
  try { a = parseCommon(argv) } catch (e) { process.stderr.write(`error: ${(e as Error).message}\n${usage}`); return 1 }
  if (a.rest.includes('--help') || a.rest.includes('-h')) { process.stdout.write(usage); return 0 }
  const store = await openStoreFromArgs(a)
  try {
    return await fn(store, a)
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`error: ${e.message}\n${usage}`); return 1 }
    throw e
  } finally {
    await store.close()
  }
}

/**
 * Write a byte stream to fd 1 with blocking writes (as C++ does): a full pipe blocks us, which
 * is the backpressure. A non-blocking stdout (EAGAIN) is waited on.
 */
export async function writeStdout(src: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of src) {
    let off = 0
    while (off < chunk.length) {
      try {
        off += writeSync(1, chunk, off, chunk.length - off)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
        await new Promise(r => setTimeout(r, 1))
      }
    }
  }
}

/** stdin as a byte stream, read in large pieces. */
export async function* readStdin(): AsyncGenerator<Uint8Array> {
  const { createReadStream } = await import('node:fs')
  for await (const c of createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false })) yield c as Buffer
}

/** Resolve a command-line argument to a store path, following symlinks into the store (C++ `followLinksToStorePath`). */
export async function toStorePath(store: LocalStore, arg: string) {
  const { resolve } = await import('node:path')
  const { realpath } = await import('node:fs/promises')
  let abs = resolve(arg)
  if (!abs.startsWith(store.storeDir.path + '/')) {
    // A symlink (result, a GC root) pointing into the store: follow it.
    try { abs = await realpath(abs) } catch { /* not a file: parse what was given */ }
    if (store.realStoreDir !== store.storeDir.path && abs.startsWith(store.realStoreDir + '/')) abs = store.storeDir.path + abs.slice(store.realStoreDir.length)
  }
  // Only the top-level entry counts: /nix/store/<base>/bin/x names /nix/store/<base>.
  const rel = abs.slice(store.storeDir.path.length + 1)
  const base = rel.split('/')[0] ?? ''
  return store.storeDir.parse(`${store.storeDir.path}/${base}`)
}
