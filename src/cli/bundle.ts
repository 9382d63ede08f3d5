/**
 * Start-up fast path of the bundled commands: load dist/src/cli/<name>-bundle.cjs (every
 * module a group of commands imports, made by tools/bundle-cli.mjs after tsc) with its V8 code
 * cache, instead of their ES modules. Measured on the 2-core dev machine: `instantiate --eval
 * --strict -E 1` (~125 modules) ES modules 0.17–0.19 s CPU, bundle without cache 0.10–0.13 s,
 * bundle with code cache 0.07–0.08 s, the same as `node -e 0`; `nar dump` of a one-file path
 * 0.104 s with ES modules, 0.075 s bundled (`node -e 0`: 0.061 s).
 *
 * A bundle is used only if it is fresh: every input listed in <name>-bundle.json still has the
 * size and mtime it had when bundled (a `tsc` run without re-bundling falls back to the
 * modules). Its environment variable (TSNIX_EVAL_BUNDLE, TSNIX_NAR_BUNDLE) set to `0` disables
 * it; set to `write-cache` (the build) the run writes the code cache at exit; set to `check`,
 * a run says on stderr when the bundle or its code cache was not used: missing, stale, or the
 * cache rejected by V8 (it is when the process's V8 flags differ from the build's warm-up run:
 * tools/bundle-cli.mjs warms up through the launcher).
 */
import { createRequire } from 'node:module'

// Builtins by require(): an ES import of node:fs builds its ES facade, which reads every export
// including the lazy stream classes (~4 ms of loading node:stream).
const require = createRequire(import.meta.url)
const { readFileSync, statSync, writeFileSync } = require('node:fs') as typeof import('node:fs')
const { dirname, join } = require('node:path') as typeof import('node:path')
const { fileURLToPath } = require('node:url') as typeof import('node:url')
const { Script } = require('node:vm') as typeof import('node:vm')

interface Manifest { inputs: Array<[string, number, number]> }

const cliDir = dirname(fileURLToPath(import.meta.url))

/** The exports of bundle `name` (their shape is the caller's to know), or undefined. */
export function loadBundle<T extends object>(name: string, envVar: string): T | undefined {
  const mode = process.env[envVar]
  if (mode === '0') return undefined
  const file = join(cliDir, `${name}-bundle.cjs`)
  const notUsed = (what: string): undefined => {
    if (mode === 'check') process.stderr.write(`tsnix: ${what} of ${name}-bundle.cjs was not used\n`)
    return undefined
  }
  let manifest: Manifest
  let source: string
  try {
    manifest = JSON.parse(readFileSync(join(cliDir, `${name}-bundle.json`), 'utf8')) as Manifest
    source = readFileSync(file, 'utf8')
  } catch {
    return notUsed('the bundle (missing)')
  }
  // (A code cache from another Node version is rejected by V8 and the bundle compiled instead.)
  if (!fresh(manifest, statSync(file).mtimeMs)) return notUsed('the bundle (stale)')
  const writeCache = mode === 'write-cache'
  let cachedData: Buffer | undefined
  if (!writeCache) {
    try { cachedData = readFileSync(`${file}.cache`) } catch { /* compiled without */ }
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  const script = new Script(wrapped, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  })
  if (script.cachedDataRejected !== false) notUsed('the code cache')
  const fn = script.runInThisContext() as (e: object, r: NodeJS.Require, m: { exports: object }, f: string, d: string) => void
  const module = { exports: {} }
  fn.call(module.exports, module.exports, createRequire(file), module, file, cliDir)
  if (writeCache) process.once('exit', () => { writeFileSync(`${file}.cache`, script.createCachedData()) })
  return module.exports as T
}

/**
 * Every input has its bundled size, and its bundled mtime — or, in an npm-installed package
 * (npm gives every file of a tarball one fixed mtime), the bundle's own mtime, which a build
 * never produces (the bundle is written after its inputs).
 */
function fresh(m: Manifest, bundleMtimeMs: number): boolean {
  const dist = `${join(cliDir, '..', '..')}/`
  let asBuilt = true
  let asPacked = true
  for (const [path, size, mtimeMs] of m.inputs) {
    const s = statSync(dist + path, { throwIfNoEntry: false })
    if (s === undefined || s.size !== size) return false
    asBuilt &&= s.mtimeMs === mtimeMs
    asPacked &&= s.mtimeMs === bundleMtimeMs
    if (!asBuilt && !asPacked) return false
  }
  return true
}
