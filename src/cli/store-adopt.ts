/**
 * `tsnix store adopt [PATH...]`: ingest paths that C++ Nix registered (valid in the database
 * and present in the store directory, but not in castore) into castore, checking each one's
 * NAR hash. Without arguments, every such path. A modified path is reported and skipped
 * (exit status 1).
 */
import { Verbosity } from '../logger.js'
import { stderrLogger, toStorePath, withStore } from './store-common.js'

const USAGE = 'usage: tsnix store adopt [--store URL] [--option NAME VALUE]... [PATH...]\n'

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    const log = stderrLogger(a.verbosity)
    const paths = a.rest.length > 0 ? await Promise.all(a.rest.map(p => toStorePath(store, p))) : await store.queryAllValidPaths()
    let adopted = 0, failed = 0
    for (const p of paths) {
      if (await store.castoreRoot(p)) continue
      try {
        await store.adopt(p)
        adopted++
        log.log(Verbosity.Talkative, `adopted '${store.storeDir.print(p)}'`)
      } catch (e) {
        failed++
        log.log(Verbosity.Error, `error: ${(e as Error).message}`)
      }
    }
    log.log(Verbosity.Info, `${adopted} paths adopted into castore${failed ? `, ${failed} failed` : ''}`)
    return failed ? 1 : 0
  })
}
