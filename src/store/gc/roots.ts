/**
 * Finding garbage collector roots as C++ Nix does (gc.cc `findRoots`, `findRuntimeRoots`):
 *
 * - permanent roots: symlinks into the store under `<state>/gcroots` and `<state>/profiles`
 *   (recursively); a symlink to outside the store is an *indirect* root whose target symlink
 *   is followed once; stale links under `gcroots/auto` are removed; a regular file named like
 *   a store path is a root too;
 * - runtime roots (Linux): `/proc/<pid>/{exe,cwd,fd/*}`, paths in `/proc/<pid>/maps`, store
 *   paths in `/proc/<pid>/environ`, and `/proc/sys/kernel/{modprobe,fbsplash,poweroff_cmd}`.
 *
 * The store may be a chroot store, so a runtime path is recognised in either the logical store
 * directory or the physical one (C++ only checks the logical one).
 */
import { readlinkSync } from 'node:fs'
import { lstat, readdir, readFile, readlink, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { StoreDir, StorePath } from '../../store-path/index.js'

export const CENSORED = '{censored}'

export interface RootsContext {
  readonly storeDir: StoreDir
  readonly realStoreDir: string
  readonly stateDir: string
  isValidPath(p: StorePath): Promise<boolean>
  /** Informational messages (C++ printInfo). */
  info?(msg: string): void
}

/** Store path → the links (or `{censored}`) that keep it alive. */
export type RootMap = Map<string, { path: StorePath; links: Set<string> }>

function addRoot(roots: RootMap, path: StorePath, link: string): void {
  const key = path.baseName
  let e = roots.get(key)
  if (!e) roots.set(key, (e = { path, links: new Set() }))
  e.links.add(link)
}

function isInStore(ctx: RootsContext, p: string): boolean {
  return p.startsWith(ctx.storeDir.path + '/')
}

async function foundRoot(ctx: RootsContext, roots: RootMap, link: string, target: string): Promise<void> {
  let sp: StorePath
  try { sp = ctx.storeDir.toStorePath(target).path } catch { return }
  if (await ctx.isValidPath(sp)) addRoot(roots, sp, link)
  else ctx.info?.(`skipping invalid root from '${link}' to '${target}'`)
}

function ignorable(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code
  return code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR'
}

async function scan(ctx: RootsContext, path: string, roots: RootMap, autoDir: string): Promise<void> {
  try {
    const st = await lstat(path)
    if (st.isDirectory()) {
      for (const name of await readdir(path)) await scan(ctx, `${path}/${name}`, roots, autoDir)
    } else if (st.isSymbolicLink()) {
      const target = await readlink(path)
      if (isInStore(ctx, target)) return foundRoot(ctx, roots, path, target)
      const abs = resolve(dirname(path), target)
      let st2
      try { st2 = await lstat(abs) } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        if (path.startsWith(autoDir + '/')) {
          ctx.info?.(`removing stale link from '${path}' to '${abs}'`)
          await unlink(path).catch(() => undefined)
        }
        return
      }
      if (!st2.isSymbolicLink()) return
      const target2 = await readlink(abs)
      if (isInStore(ctx, target2)) await foundRoot(ctx, roots, abs, target2)
    } else if (st.isFile()) {
      const base = path.slice(path.lastIndexOf('/') + 1)
      let sp: StorePath | undefined
      try { sp = ctx.storeDir.parse(`${ctx.storeDir.path}/${base}`) } catch { sp = undefined }
      if (sp && (await ctx.isValidPath(sp))) addRoot(roots, sp, path)
    }
  } catch (e) {
    if (!ignorable(e)) throw e
    ctx.info?.(`cannot read potential root '${path}'`)
  }
}

/** Permanent roots under gcroots/ and profiles/. */
export async function findPermanentRoots(ctx: RootsContext, roots: RootMap = new Map()): Promise<RootMap> {
  const gcroots = `${ctx.stateDir}/gcroots`
  await scan(ctx, gcroots, roots, `${gcroots}/auto`)
  await scan(ctx, `${ctx.stateDir}/profiles`, roots, `${gcroots}/auto`)
  return roots
}

function escapeRegex(s: string): string { return s.replace(/[.^$\\*+?()[\]{}|]/g, '\\$&') }

/** Runtime roots from /proc (Linux). `procDir` is a parameter for tests. */
export async function findRuntimeRoots(ctx: RootsContext, censor: boolean, roots: RootMap = new Map(), procDir = '/proc'): Promise<RootMap> {
  const unchecked = new Map<string, Set<string>>()
  const note = (target: string, link: string) => {
    let s = unchecked.get(target)
    if (!s) unchecked.set(target, (s = new Set()))
    s.add(link)
  }
  // Promise-based reads, two processes at a time: a read of /proc/PID/maps or environ can block
  // while the target holds its memory lock (a process being frozen, killed or exec'ing), so it
  // must stay off the event loop, and at most two thread-pool threads may wait on such reads.
  const readProcLink = async (file: string) => {
    try {
      const t = await readlink(file)
      if (t.startsWith('/')) note(t, file)
    } catch { /* process gone or not ours */ }
  }
  const dirs = [ctx.storeDir.path, ...(ctx.realStoreDir !== ctx.storeDir.path ? [ctx.realStoreDir] : [])]
  const storePathRe = new RegExp(`(?:${dirs.map(escapeRegex).join('|')})/[0-9a-z]+[0-9a-zA-Z+\\-._?=]*`, 'g')
  const mapRe = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\/\S+)\s*$/
  let entries: string[] = []
  try { entries = await readdir(procDir) } catch { /* no procfs */ }
  const scanProcess = async (pid: string) => {
    await readProcLink(`${procDir}/${pid}/exe`)
    await readProcLink(`${procDir}/${pid}/cwd`)
    try {
      const fds = await readdir(`${procDir}/${pid}/fd`)
      // descriptors are plain kernel lookups that never block: read them in one go
      for (const fd of fds) {
        if (fd[0] === '.') continue
        try {
          const t = readlinkSync(`${procDir}/${pid}/fd/${fd}`)
          if (t.startsWith('/')) note(t, `${procDir}/${pid}/fd/${fd}`)
        } catch { /* closed meanwhile */ }
      }
    } catch { return }
    try {
      const mapFile = `${procDir}/${pid}/maps`
      for (const line of (await readFile(mapFile, 'utf8')).split('\n')) {
        const m = mapRe.exec(line)
        if (m) note(m[1]!, mapFile)
      }
      const envFile = `${procDir}/${pid}/environ`
      for (const m of (await readFile(envFile, 'latin1')).matchAll(storePathRe)) note(m[0], envFile)
    } catch { /* process gone or not ours */ }
  }
  const pids = entries.filter(e => /^\d+$/.test(e))
  let next = 0
  const lane = async () => { while (next < pids.length) await scanProcess(pids[next++]!) }
  await Promise.all([lane(), lane()])
  for (const f of ['sys/kernel/modprobe', 'sys/kernel/fbsplash', 'sys/kernel/poweroff_cmd']) {
    try { note((await readFile(`${procDir}/${f}`, 'utf8')).trim(), `${procDir}/${f}`) } catch { /* absent */ }
  }
  for (const [target0, links] of unchecked) {
    // Map a physical (chroot) path back to its logical store path.
    const target = ctx.realStoreDir !== ctx.storeDir.path && target0.startsWith(ctx.realStoreDir + '/')
      ? ctx.storeDir.path + target0.slice(ctx.realStoreDir.length)
      : target0
    if (!isInStore(ctx, target)) continue
    let sp: StorePath
    try { sp = ctx.storeDir.toStorePath(target).path } catch { continue }
    if (!(await ctx.isValidPath(sp))) continue
    if (censor) addRoot(roots, sp, CENSORED)
    else for (const l of links) addRoot(roots, sp, l)
  }
  return roots
}
