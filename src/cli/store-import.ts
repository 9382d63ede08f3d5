/**
 * `tsnix store import < FILE`: add the paths of an export (`nix-store --export`, `tsnix store
 * export`) to the store and print them, as `nix-store --import` does. Signatures are not
 * checked (neither does `nix-store --import`); references must be valid or come earlier.
 */
import { cliContext, readStdin, stderrLogger, UsageError, withStore } from './store-common.js'

const USAGE = 'usage: tsnix store import [--store URL] [--option NAME VALUE]... < FILE\n'

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    if (a.rest.length > 0) throw new UsageError('no arguments expected')
    const paths = await store.importPaths(cliContext(stderrLogger(a.verbosity)), readStdin())
    process.stdout.write(paths.map(p => store.storeDir.print(p) + '\n').join(''))
    return 0
  })
}
