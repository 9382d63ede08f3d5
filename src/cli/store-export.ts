/**
 * `tsnix store export PATH...`: the paths in Nix's export format on stdout, as
 * `nix-store --export` writes them (referenced paths first; not their closure).
 */
import { toStorePath, withStore, writeStdout } from './store-common.js'

const USAGE = 'usage: tsnix store export [--store URL] [--option NAME VALUE]... PATH... > FILE\n'

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    const paths = []
    for (const p of a.rest) paths.push(await toStorePath(store, p))
    await writeStdout(store.exportPaths(paths))
    return 0
  })
}
