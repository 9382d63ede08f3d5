/**
 * `tsnix store add PATH...`: add files or trees to the store as `nix-store --add` does (NAR
 * sha256, named after the file) and print their store paths in argument order. Several paths
 * are added at once, so their fsyncs share journal commits.
 */
import { basename, resolve } from 'node:path'
import { dumpPath } from '../nar/index.js'
import { mapLimit } from '../store/concurrency.js'
import { cliContext, stderrLogger, withStore } from './store-common.js'

const USAGE = 'usage: tsnix store add [--store URL] [--option NAME VALUE]... PATH...\n'
const CONCURRENCY = 16

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    const ctx = cliContext(stderrLogger(a.verbosity))
    const infos = await mapLimit(a.rest, CONCURRENCY, p => {
      const abs = resolve(p)
      return store.addToStore(ctx, basename(abs), { method: 'nar', algo: 'sha256' }, [], dumpPath(abs, { chunkSize: 64 * 1024 }), false)
    })
    process.stdout.write(infos.map(i => store.storeDir.print(i.path) + '\n').join(''))
    return 0
  })
}
