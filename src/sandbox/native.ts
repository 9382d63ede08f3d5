/**
 * The static helper binary (native/sandbox-helper.c): the exec shim of cold runs and the
 * agent of warm slots. Found via TSNIX_SANDBOX_HELPER (a prebuilt binary), or compiled once
 * with `gcc -static` into a cache keyed by the source hash.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileP = promisify(execFile)

/** The helper's C source in the repository (dist/src/sandbox → ../../../native). */
export const helperSource = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'sandbox-helper.c')

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd)
  }
  return undefined
}

const cache = new Map<string, Promise<string | undefined>>()

/**
 * Path of a usable helper binary, or undefined (no prebuilt binary, no source or no gcc —
 * callers then run without it). `cacheDir` defaults to `native/build` in the repository.
 */
export function ensureHelper(cacheDir?: string): Promise<string | undefined> {
  const prebuilt = process.env['TSNIX_SANDBOX_HELPER']
  if (prebuilt) return Promise.resolve(existsSync(prebuilt) ? prebuilt : undefined)
  const dir = cacheDir ?? resolve(dirname(helperSource), 'build')
  let p = cache.get(dir)
  if (!p) {
    p = compile(dir)
    cache.set(dir, p)
  }
  return p
}

async function compile(dir: string): Promise<string | undefined> {
  if (!existsSync(helperSource)) return undefined
  const src = await readFile(helperSource)
  const out = join(dir, `sandbox-helper-${createHash('sha256').update(src).digest('hex').slice(0, 16)}`)
  if (existsSync(out)) return out
  const gcc = findOnPath('gcc') ?? findOnPath('cc')
  if (!gcc) return undefined
  await mkdir(dir, { recursive: true })
  const tmp = `${out}.tmp-${process.pid}`
  try {
    await execFileP(gcc, ['-static', '-O2', '-o', tmp, helperSource])
    await chmod(tmp, 0o755)
    await rename(tmp, out)
    return out
  } catch {
    await rm(tmp, { force: true })
    return undefined
  }
}
