/**
 * `tsnix store path-of`: the store path a local file or tree would get when added, without
 * adding it — the path `nix-store --add` / `--add-fixed` would print.
 *
 *   tsnix store path-of [--source] PATH…              NAR sha256, a `source` path (nix-store --add)
 *   tsnix store path-of --fixed ALGO PATH…            flat hash (nix-store --add-fixed ALGO)
 *   tsnix store path-of --fixed ALGO --recursive PATH…  NAR hash (nix-store --add-fixed --recursive ALGO)
 *   tsnix store path-of --text PATH…                  sha256 of the contents, a `text` path without
 *                                                     references (builtins.toFile)
 *   --name NAME        the store path name (default: the file's base name; one PATH only)
 *   --store-dir DIR    the logical store directory (default $NIX_STORE_DIR or /nix/store)
 *
 * `--recursive` alone is `--fixed sha256 --recursive`, which is the same as `--source`.
 */
import { basename, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { hashFile, hashPath } from '../nar/index.js'
import { makeFixedOutputPath, makeTextPath, parseHashAlgo, StoreDir } from '../store-path/index.js'

const USAGE = 'usage: tsnix store path-of [--source | --text | --fixed ALGO [--recursive]] [--name NAME] [--store-dir DIR] PATH...\n'

export async function run(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      options: {
        source: { type: 'boolean' }, text: { type: 'boolean' }, fixed: { type: 'string' }, recursive: { type: 'boolean' },
        name: { type: 'string' }, 'store-dir': { type: 'string' },
      },
      allowPositionals: true, strict: true,
    })
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n${USAGE}`)
    return 1
  }
  const { values, positionals } = parsed
  const modes = [values.source, values.text, values.fixed !== undefined].filter(Boolean).length
  const usageError = (m: string): number => { process.stderr.write(`error: ${m}\n${USAGE}`); return 1 }
  if (modes > 1) return usageError('--source, --text and --fixed exclude each other')
  if (values.recursive && (values.text || values.source)) return usageError('--recursive goes with --fixed')
  if (values.name !== undefined && positionals.length !== 1) return usageError('--name needs exactly one PATH')
  const storeDir = new StoreDir(values['store-dir'] ?? process.env['NIX_STORE_DIR'] ?? '/nix/store')

  for (const p of positionals) {
    const name = values.name ?? basename(resolve(p))
    let out
    if (values.text) {
      out = makeTextPath(storeDir, name, (await hashFile(p, 'sha256')).hash)
    } else if (values.fixed !== undefined && !values.recursive) {
      out = makeFixedOutputPath(storeDir, name, 'flat', (await hashFile(p, parseHashAlgo(values.fixed))).hash)
    } else {
      const algo = parseHashAlgo(values.fixed ?? 'sha256')
      out = makeFixedOutputPath(storeDir, name, 'nar', (await hashPath(p, algo)).hash)
    }
    process.stdout.write(storeDir.print(out) + '\n')
  }
  return 0
}
