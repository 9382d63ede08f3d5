/**
 * `builtin:buildenv` (C++ builtins/buildenv.cc), what `nix-env` builds profiles with: a tree
 * of symlinks into the installed packages. Packages come from `derivations` as
 * `<active> <priority> <n> <path>…` groups, are linked in priority order (lower number wins;
 * equal priorities conflict), directories are merged (a symlinked directory is expanded into
 * a real one when a second package brings the same directory), some files are never linked,
 * `nix-support/propagated-user-env-packages` pulls in more packages at priorities from 1000,
 * and `manifest.nix` links to `manifest`.
 *
 * The paths in the derivation are logical store paths; they are read where the store really
 * is (`toReal`) and linked to by their logical names.
 */
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, unlink } from 'node:fs/promises'
import { posix } from 'node:path'
import type { BasicDerivation } from '../../derivation/index.js'
import { BuiltinBuilderError } from '../errors.js'
import { attr, type BuiltinContext, toReal } from './index.js'

const IGNORED_SUFFIXES = ['/propagated-build-inputs', '/nix-support', '/perllocal.pod', '/info/dir', '/log', '/manifest.nix', '/manifest.json']

interface State {
  /** Link in the output (logical path relative to out) → priority. */
  readonly priorities: Map<string, number>
  readonly warn: (msg: string) => Promise<void>
  readonly real: (logical: string) => string
}

async function lstatOpt(p: string) { try { return await lstat(p) } catch { return undefined } }

/** Link the entries of `srcDir` (logical) into `dstDir` (a host path in the output). */
async function createLinks(s: State, srcDir: string, dstDir: string, priority: number): Promise<void> {
  let names: string[]
  try { names = await readdir(s.real(srcDir)) } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      await s.warn(`not including '${srcDir}' in the user environment because it's not a directory`)
      return
    }
    throw e
  }
  names.sort()
  for (const name of names) {
    if (name.startsWith('.')) continue
    const srcFile = posix.join(srcDir, name)
    const dstFile = posix.join(dstDir, name)
    let srcSt
    try { srcSt = await stat(s.real(srcFile)) } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') { await s.warn(`skipping dangling symlink '${dstFile}'`); continue }
      throw e
    }
    if (IGNORED_SUFFIXES.some(x => srcFile.endsWith(x))) continue
    if (srcSt.isDirectory()) {
      const dstSt = await lstatOpt(dstFile)
      if (dstSt?.isDirectory()) { await createLinks(s, srcFile, dstFile, priority); continue }
      if (dstSt?.isSymbolicLink()) {
        const target = await readlink(dstFile)
        if (!(await lstatOpt(s.real(target)))?.isDirectory()) throw new BuiltinBuilderError(`collision between '${srcFile}' and non-directory '${target}'`)
        await unlink(dstFile)
        await mkdir(dstFile, { mode: 0o755 })
        await createLinks(s, target, dstFile, s.priorities.get(dstFile) ?? 0)
        await createLinks(s, srcFile, dstFile, priority)
        continue
      }
    } else {
      const dstSt = await lstatOpt(dstFile)
      if (dstSt?.isSymbolicLink()) {
        const prev = s.priorities.get(dstFile) ?? 0
        if (prev === priority) {
          throw new BuiltinBuilderError(`Unable to build profile. There is a conflict for the following files:\n\n  ${await readlink(dstFile)}\n  ${srcFile}`)
        }
        if (prev < priority) continue
        await unlink(dstFile)
      } else if (dstSt?.isDirectory()) {
        throw new BuiltinBuilderError(`collision between non-directory '${srcFile}' and directory '${dstFile}'`)
      }
    }
    await symlink(srcFile, dstFile)
    s.priorities.set(dstFile, priority)
  }
}

export async function builtinBuildenv(drv: BasicDerivation, b: BuiltinContext): Promise<void> {
  const out = b.outputs.get('out')
  if (out === undefined) throw new BuiltinBuilderError("'builtin:buildenv' requires an 'out' output")
  await mkdir(out, { recursive: true })
  const enc = new TextEncoder()
  const state: State = {
    priorities: new Map(),
    warn: async msg => { await b.log(enc.encode(`warning: ${msg}\n`)) },
    real: p => toReal(b, p),
  }
  const tokens = attr(drv, 'derivations').split(/[ \t\n\r]+/).filter(Boolean)
  const pkgs: Array<{ path: string; active: boolean; priority: number }> = []
  for (let i = 0; i < tokens.length;) {
    const active = tokens[i++] !== 'false'
    const priority = Number.parseInt(tokens[i++] ?? '', 10)
    const n = Number.parseInt(tokens[i++] ?? '', 10)
    if (!Number.isFinite(priority) || !Number.isFinite(n)) throw new BuiltinBuilderError("malformed 'derivations' attribute")
    for (let k = 0; k < n; k++) pkgs.push({ path: tokens[i++]!, active, priority })
  }
  const done = new Set<string>()
  let postponed = new Set<string>()
  const addPkg = async (pkgDir: string, priority: number): Promise<void> => {
    if (done.has(pkgDir)) return
    done.add(pkgDir)
    await createLinks(state, pkgDir, out, priority)
    let text: string
    try { text = await readFile(toReal(b, `${pkgDir}/nix-support/propagated-user-env-packages`), 'utf8') } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw e
    }
    for (const p of text.split(/[ \n]+/).filter(Boolean)) if (!done.has(p)) postponed.add(p)
  }
  pkgs.sort((x, y) => x.priority - y.priority || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
  for (const p of pkgs) if (p.active) await addPkg(p.path, p.priority)
  let counter = 1000
  while (postponed.size > 0) {
    const batch = [...postponed].sort()
    postponed = new Set()
    for (const p of batch) await addPkg(p, counter++)
  }
  await symlink(attr(drv, 'manifest'), `${out}/manifest.nix`)
}
