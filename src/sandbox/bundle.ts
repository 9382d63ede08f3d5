/**
 * Writes what spec.ts describes: the shared read-only rootfs (mount points and `/etc`
 * files, created once per variant), and per build the scratch directories with Nix's
 * ownership and modes, the input mount points, the build-dir files and `config.json`.
 *
 * Ownership (host ids from the build's slot): the per-build directory belongs to the
 * container's root id (runc's init, running as that id, must traverse it to bind the
 * scratch dirs; nobody else can); the scratch store is 1775 root:<build gid> (the builder
 * creates its outputs there); the build dir is 0700 <build uid>; `/tmp` is 1777.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { chmod, chown, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { SandboxRequestError } from './errors.js'
import type { IdMap } from './spec.js'
import { stringifyOciConfig } from './spec.js'
import type { BuildRequest, EtcFiles, SandboxMount } from './types.js'

export interface MountPoint { path: string; dir: boolean }

/** Is `p` equal to or below `dir` (both absolute, normalised)? */
export function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : dir + '/')
}

/** The scratch path containing `p`, longest match first. */
export function scratchOf(p: string, scratchPaths: readonly string[]): string | undefined {
  let best: string | undefined
  for (const s of scratchPaths) if (isWithin(p, s) && (best === undefined || s.length > best.length)) best = s
  return best
}

/** Host directory name for a scratch path. */
export function scratchDirName(p: string, req: BuildRequest, index: number): string {
  if (p === req.storeDir) return 'store'
  if (p === req.buildDir) return 'build'
  if (p === '/tmp') return 'tmp'
  return `scratch-${index}`
}

/**
 * Extra mounts whose source exists (optional ones are dropped when missing, as Nix does),
 * each with whether its mount point is a directory.
 */
export async function resolveExtraMounts(mounts: readonly SandboxMount[]): Promise<Array<SandboxMount & { dir: boolean }>> {
  const out: Array<SandboxMount & { dir: boolean }> = []
  for (const m of mounts) {
    try {
      const st = await stat(m.source)
      out.push({ ...m, dir: st.isDirectory() })
    } catch (e) {
      if (m.optional) continue
      throw new SandboxRequestError(`sandbox path ${JSON.stringify(m.source)} (for ${JSON.stringify(m.target)}) cannot be used: ${(e as Error).message}`)
    }
  }
  return out
}

/** Mount points the shared rootfs must contain for `req` (scratch dirs, extra mounts outside scratch dirs and /dev). */
export function rootfsMountPoints(req: BuildRequest, extra: ReadonlyArray<{ target: string; dir: boolean }>): MountPoint[] {
  const pts: MountPoint[] = [{ path: '/proc', dir: true }, { path: '/dev', dir: true }]
  for (const s of req.scratchPaths) pts.push({ path: s, dir: true })
  for (const m of extra) {
    if (scratchOf(m.target, req.scratchPaths) !== undefined) continue
    if (isWithin(m.target, '/dev') || isWithin(m.target, '/proc')) continue
    pts.push({ path: m.target, dir: m.dir })
  }
  return pts
}

/**
 * The shared rootfs for these `/etc` files and mount points, under `rootfsRoot/<hash>`;
 * created atomically on first use and never written afterwards (builds mount it read-only).
 */
export async function ensureRootfs(rootfsRoot: string, etc: EtcFiles, mountPoints: readonly MountPoint[]): Promise<string> {
  const pts = [...new Map(mountPoints.map(m => [m.path, m])).values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const key = createHash('sha256').update(JSON.stringify({ v: 1, etc, pts })).digest('hex').slice(0, 24)
  const dir = join(rootfsRoot, key)
  try { await stat(dir); return dir } catch { /* create it */ }
  await mkdir(rootfsRoot, { recursive: true, mode: 0o755 })
  const tmp = join(rootfsRoot, `.tmp-${key}-${randomBytes(4).toString('hex')}`)
  await mkdir(tmp, { mode: 0o755 })
  await chmod(tmp, 0o755)
  try {
    for (const m of pts) {
      const host = join(tmp, m.path)
      // Intermediate directories (e.g. /nix for /nix/store, /bin for /bin/sh).
      await mkdir(posix.dirname(host), { recursive: true, mode: 0o755 })
      if (m.dir) await mkdir(host, { recursive: true, mode: 0o755 })
      else await (await open(host, constants.O_CREAT | constants.O_WRONLY, 0o444)).close()
    }
    const etcDir = join(tmp, 'etc')
    await mkdir(etcDir, { recursive: true })
    const files: Array<[string, string | undefined]> = [['passwd', etc.passwd], ['group', etc.group], ['hosts', etc.hosts], ['nsswitch.conf', etc.nsswitch]]
    for (const [name, contents] of files) if (contents !== undefined) await writeFile(join(etcDir, name), contents, { mode: 0o644 })
    // Nix (since 2.14) makes /etc read-only for the builder.
    await chmod(etcDir, 0o555)
    await rename(tmp, dir)
  } catch (e) {
    await rm(tmp, { recursive: true, force: true })
    // Lost a race with another creator of the same variant: theirs is identical.
    try { await stat(dir); return dir } catch { throw e }
  }
  return dir
}

export interface Scratch {
  /** In-sandbox scratch path → host directory. */
  dirs: Map<string, string>
  /** The host directory mounted as the store dir. */
  store: string
  /** The host build directory. */
  build: string
}

/**
 * Create the per-build directories under `workDir` (which must not exist yet): scratch dirs
 * with Nix's modes, input mount points in the scratch store, mount points of extra mounts
 * that land in scratch dirs, and the build-dir files.
 */
export async function prepareScratch(
  req: BuildRequest,
  workDir: string,
  ids: IdMap,
  extra: ReadonlyArray<{ target: string; dir: boolean }>,
): Promise<Scratch> {
  await mkdir(workDir, { mode: 0o700 })
  await chown(workDir, ids.rootUid, ids.rootGid)
  const dirs = new Map<string, string>()
  let i = 0
  for (const p of req.scratchPaths) {
    const host = join(workDir, scratchDirName(p, req, i++))
    await mkdir(host)
    if (p === req.storeDir) { await chown(host, 0, ids.buildGid); await chmod(host, 0o1775) }
    else if (p === '/tmp') await chmod(host, 0o1777)
    else if (p === req.buildDir) { await chown(host, ids.buildUid, ids.buildGid); await chmod(host, 0o700) }
    else { await chown(host, ids.buildUid, ids.buildGid); await chmod(host, 0o755) }
    dirs.set(p, host)
  }
  const store = dirs.get(req.storeDir)
  const build = dirs.get(req.buildDir)
  if (store === undefined || build === undefined) throw new SandboxRequestError('the store dir and the build dir must be scratch paths')

  // Mount points must exist before runc starts: its init runs as the container's root,
  // which may not create entries in the 1775 scratch store (build-sandbox.md §3.1 quirk 2).
  const points: MountPoint[] = []
  const types = await Promise.all(req.inputs.map(async inp => {
    try { return (await stat(inp.hostPath)).isDirectory() } catch (e) {
      throw new SandboxRequestError(`input ${JSON.stringify(inp.path)} is missing on the host at ${JSON.stringify(inp.hostPath)}: ${(e as Error).message}`)
    }
  }))
  req.inputs.forEach((inp, k) => points.push({ path: inp.path, dir: types[k]! }))
  for (const m of extra) points.push({ path: m.target, dir: m.dir })
  for (const m of points) {
    const s = scratchOf(m.path, req.scratchPaths)
    if (s === undefined || m.path === s) continue
    const host = join(dirs.get(s)!, posix.relative(s, m.path))
    await mkdir(posix.dirname(host), { recursive: true })
    if (m.dir) await mkdir(host, { recursive: true })
    else await (await open(host, constants.O_CREAT | constants.O_WRONLY, 0o444)).close()
  }

  for (const f of req.buildDirFiles) {
    if (f.name.includes('/') || f.name === '.' || f.name === '..' || f.name === '') {
      throw new SandboxRequestError(`build directory file name must be a plain name, got ${JSON.stringify(f.name)}`)
    }
    const host = join(build, f.name)
    await writeFile(host, f.contents, { mode: 0o644, flag: 'wx' })
    await chown(host, ids.buildUid, ids.buildGid)
  }
  return { dirs, store, build }
}

/** Write `config.json` into `bundleDir`. */
export async function writeBundle(bundleDir: string, config: unknown): Promise<void> {
  await mkdir(bundleDir, { recursive: true, mode: 0o700 })
  await writeFile(join(bundleDir, 'config.json'), stringifyOciConfig(config))
}
