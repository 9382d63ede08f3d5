/**
 * `tsnix store gc` (as `nix-store --gc`): delete unreachable paths and say how much was freed;
 * `--print-roots`, `--print-live`, `--print-dead` and `--max-freed N` as in C++.
 * `tsnix store delete PATH...` (as `nix-store --delete`): delete those paths if unreachable.
 */
import type { GCAction } from '../store/index.js'
import { cliContext, stderrLogger, toStorePath, UsageError, withStore } from './store-common.js'

const USAGE = 'usage: tsnix store gc [--print-roots | --print-live | --print-dead] [--max-freed BYTES] [--store URL] [--option NAME VALUE]...\n'

/** C++ `showBytes`. */
function showBytes(n: bigint): string { return `${(Number(n) / (1024 * 1024)).toFixed(2)} MiB` }

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    const ctx = cliContext(stderrLogger(a.verbosity))
    let action: GCAction = 'deleteDead'
    let printRoots = false
    let maxFreed = (1n << 64n) - 1n
    for (let i = 0; i < a.rest.length; i++) {
      const f = a.rest[i]!
      if (f === '--print-roots') printRoots = true
      else if (f === '--print-live') action = 'returnLive'
      else if (f === '--print-dead') action = 'returnDead'
      else if (f === '--max-freed') {
        const v = a.rest[++i]
        if (v === undefined || !/^-?[0-9]+$/.test(v)) throw new UsageError("flag '--max-freed' requires a number")
        maxFreed = BigInt(v) < 0n ? 0n : BigInt(v)
      } else throw new UsageError(`bad sub-operation '${f}' in GC`)
    }
    if (printRoots) {
      const pairs: Array<[string, string]> = []
      for (const [target, links] of await store.findRoots(ctx, false)) for (const l of links) pairs.push([l, store.storeDir.print(target)])
      pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0))
      process.stdout.write(pairs.map(([l, t]) => `${l} -> ${t}\n`).join(''))
      return 0
    }
    const r = await store.collectGarbage(ctx, { action, pathsToDelete: [], ignoreLiveness: false, maxFreed })
    if (action === 'deleteDead') process.stderr.write(`${r.paths.length} store paths deleted, ${showBytes(r.bytesFreed)} freed\n`)
    else process.stdout.write(r.paths.map(p => p + '\n').join(''))
    return 0
  })
}

export async function runDelete(args: string[]): Promise<number> {
  return withStore(args, 'usage: tsnix store delete [--store URL] PATH...\n', async (store, a) => {
    const ctx = cliContext(stderrLogger(a.verbosity))
    const paths = []
    for (const p of a.rest) {
      if (p.startsWith('--')) throw new UsageError(`unknown flag '${p}'`)
      paths.push(await toStorePath(store, p))
    }
    const r = await store.collectGarbage(ctx, { action: 'deleteSpecific', pathsToDelete: paths, ignoreLiveness: false, maxFreed: (1n << 64n) - 1n })
    process.stderr.write(`${r.paths.length} store paths deleted, ${showBytes(r.bytesFreed)} freed\n`)
    return 0
  })
}
