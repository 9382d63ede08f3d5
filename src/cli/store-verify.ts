/**
 * `tsnix store verify [--check-contents] [--repair]`: check the store as `nix-store --verify`
 * does (every valid path exists; with --check-contents its NAR hash matches). With --repair a
 * missing or modified path is rebuilt from castore. Exit status 1 if errors remain.
 */
import { cliContext, stderrLogger, UsageError, withStore } from './store-common.js'

const USAGE = 'usage: tsnix store verify [--check-contents] [--repair] [--store URL] [--option NAME VALUE]...\n'

export async function run(args: string[]): Promise<number> {
  return withStore(args, USAGE, async (store, a) => {
    let checkContents = false, repair = false
    for (const f of a.rest) {
      if (f === '--check-contents') checkContents = true
      else if (f === '--repair') repair = true
      else throw new UsageError(`unknown flag '${f}'`)
    }
    const errors = await store.verifyStore(cliContext(stderrLogger(a.verbosity)), checkContents, repair)
    if (errors) {
      process.stderr.write('warning: not all store errors were fixed\n')
      return 1
    }
    return 0
  })
}
