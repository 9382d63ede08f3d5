/**
 * `EvalFetchIO` on this machine (src/eval/io.ts): downloads (`file://` read in place, http(s)
 * through Node's `fetch` in a worker thread, called synchronously), archives unpacked by the
 * system `tar` (which detects gzip, bzip2, xz and zstd itself) or `unzip`, and Git trees
 * checked out with the `git` binary.
 *
 * Why external tools: GNU tar handles every tar dialect and compression C++ Nix's libarchive
 * does, at C speed, and `git` is what users of `fetchGit` have anyway; writing an xz decoder,
 * a tar reader and a Git object reader in TypeScript would be a large, slow reimplementation
 * for a path that is dominated by I/O.
 */
import type { ExecFileSyncOptions } from 'node:child_process'
import { createRequire } from 'node:module'
import { copyFileSync, chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { EvalError } from '../eval/errors.js'
import type { EvalFetchIO, GitFetchRequest, GitFetchResult } from '../eval/io.js'
import { NixHash } from '../store-path/index.js'
import { SyncWorker } from './sync-worker.js'

const fsPath = (p: string): string => Buffer.from(p, 'latin1').toString('utf8')
const binPath = (p: string): string => Buffer.from(p, 'utf8').toString('latin1')

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsnix-fetch-'))
}

/** The newest modification time below `p` (C++ takes the newest tar member's mtime). */
function newestMtime(p: string): number {
  const st = lstatSync(p)
  let t = Math.floor(st.mtimeMs / 1000)
  if (st.isDirectory()) for (const n of readdirSync(p)) t = Math.max(t, newestMtime(join(p, n)))
  return t
}

// node:child_process (and the stream/net modules under it) is loaded at first use: evaluations
// that fetch nothing skip ~7 ms of start-up.
const execFileSync = (): typeof import('node:child_process').execFileSync =>
  (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).execFileSync

export interface NodeFetchOptions {
  /** Where remote Git repositories are cached (default `$XDG_CACHE_HOME/tsnix/gitv3`). */
  readonly cacheDir?: string
  readonly env?: NodeJS.ProcessEnv
}

export class NodeFetchIO implements EvalFetchIO {
  private http: SyncWorker | undefined
  private readonly env: NodeJS.ProcessEnv

  constructor(private readonly opts: NodeFetchOptions = {}) {
    this.env = opts.env ?? process.env
  }

  download(url: string): { path: string; temporary: boolean } {
    if (url.startsWith('file://')) {
      const path = decodeURIComponent(url.slice('file://'.length).replace(/^[^/]*/, '').replace(/[?#].*$/, ''))
      try {
        if (!lstatSync(path).isFile() && !lstatSync(path).isSymbolicLink()) throw new Error('not a file')
      } catch {
        throw new EvalError(`unable to download '${url}': Could not read a file:// file (37) Could not open file ${path}`)
      }
      return { path: binPath(path), temporary: false }
    }
    if (!/^https?:\/\//.test(url)) throw new EvalError(`unable to download '${url}': Unsupported protocol`)
    this.http ??= new SyncWorker(new URL('./fetch-worker.js', import.meta.url), {})
    const dir = tempDir()
    const dest = join(dir, 'download')
    try {
      this.http.call('download', url, dest)
    } catch (e) {
      rmSync(dir, { recursive: true, force: true })
      throw new EvalError((e as Error).message)
    }
    return { path: binPath(dest), temporary: true }
  }

  unpack(archive: string, url: string): { root: string; lastModified: number } {
    const file = fsPath(archive)
    const dir = tempDir()
    const out = join(dir, 'unpacked')
    mkdirSync(out)
    const head = readFileSync(file).subarray(0, 4)
    try {
      if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
        execFileSync()('unzip', ['-qq', '-o', file, '-d', out], { stdio: ['ignore', 'ignore', 'pipe'] })
      } else {
        execFileSync()('tar', ['-xf', file, '-C', out, '--no-same-owner', '--delay-directory-restore'], { stdio: ['ignore', 'ignore', 'pipe'] })
      }
    } catch (e) {
      rmSync(dir, { recursive: true, force: true })
      const err = String((e as { stderr?: Buffer }).stderr ?? '').trim().split('\n')[0] ?? ''
      throw new EvalError(`failed to extract archive from '${url}'${err ? `: ${err}` : ''}`)
    }
    // a single top-level directory is the tree itself (C++ downloadTarball)
    const entries = readdirSync(out)
    let root = out
    if (entries.length === 1 && lstatSync(join(out, entries[0]!)).isDirectory()) root = join(out, entries[0]!)
    let lastModified = 0
    for (const e of entries) lastModified = Math.max(lastModified, newestMtime(join(out, e)))
    return { root: binPath(root), lastModified }
  }

  /** The newest mtime in the tree (as C++ reports for `path` inputs). */
  lastModified(path: string): number {
    return newestMtime(fsPath(path))
  }

  remove(path: string): void {
    // only what tempDir() made: the `tsnix-fetch-…` directory holding `path`
    const p = fsPath(path)
    const prefix = join(tmpdir(), 'tsnix-fetch-')
    if (!p.startsWith(prefix)) return
    const end = p.indexOf('/', prefix.length)
    rmSync(end < 0 ? p : p.slice(0, end), { recursive: true, force: true })
  }

  git(req: GitFetchRequest): GitFetchResult {
    return gitFetch(req, this.cacheDir(), this.env)
  }

  private cacheDir(): string {
    if (this.opts.cacheDir) return this.opts.cacheDir
    const base = this.env['XDG_CACHE_HOME'] ?? (this.env['HOME'] ? join(this.env['HOME'], '.cache') : join(tmpdir(), 'tsnix-cache'))
    return join(base, 'tsnix', 'gitv3')
  }

  close(): void { this.http?.close() }
}

// ---- Git -------------------------------------------------------------------------------------

function git(gitDir: string | undefined, args: string[], opts: ExecFileSyncOptions = {}): Buffer {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...(opts.env ?? {}) }
  const full = gitDir === undefined ? args : [`--git-dir=${gitDir}`, ...args]
  return execFileSync()('git', full, { ...opts, env, stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }) as Buffer
}

function gitText(gitDir: string | undefined, args: string[], opts: ExecFileSyncOptions = {}): string {
  return git(gitDir, args, opts).toString('utf8').trim()
}

function tryGit(gitDir: string | undefined, args: string[], opts: ExecFileSyncOptions = {}): string | undefined {
  try { return gitText(gitDir, args, opts) } catch { return undefined }
}

function gitError(e: unknown): string {
  return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n')[0] ?? ''
}

function resolveRef(gitDir: string, ref: string): string {
  const rev = tryGit(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  if (rev === undefined || rev === '') throw new EvalError(`resolving Git reference '${ref}': revspec '${ref}' not found (libgit2 error code = 4)`)
  return rev
}

/** Check out `rev`'s tree into `dest` through a private index; drop export-ignore'd paths. */
function checkoutRev(gitDir: string, rev: string, dest: string, exportIgnore: boolean, scratch: string): void {
  const env = { GIT_INDEX_FILE: join(scratch, 'index') }
  git(gitDir, ['read-tree', rev], { env })
  git(gitDir, ['checkout-index', '-a', '-f', `--prefix=${dest}/`], { env, cwd: scratch })
  if (exportIgnore) {
    const files = git(gitDir, ['ls-files', '-z'], { env, cwd: scratch })
    removeExportIgnored(gitDir, files, dest, ['--cached'], env, scratch)
  }
}

function removeExportIgnored(gitDir: string, filesZ: Buffer, dest: string, extra: string[], env: Record<string, string>, cwd: string): void {
  if (filesZ.length === 0) return
  const out = git(gitDir, ['check-attr', '-z', ...extra, '--stdin', 'export-ignore'], { env, cwd, input: filesZ }).toString('latin1').split('\0')
  // records: path NUL attribute NUL value NUL
  for (let i = 0; i + 2 < out.length; i += 3) {
    if (out[i + 2] === 'set') rmSync(join(dest, Buffer.from(out[i]!, 'latin1').toString()), { recursive: true, force: true })
  }
}

/** Copy the tracked files of a working tree with their current contents. */
function copyWorkdir(workdir: string, gitDir: string, dest: string, exportIgnore: boolean): void {
  const files = git(gitDir, ['ls-files', '-z', '--cached'], { cwd: workdir })
  for (const rel of files.toString('latin1').split('\0')) {
    if (rel === '') continue
    const relFs = Buffer.from(rel, 'latin1').toString()
    const src = join(workdir, relFs)
    let st
    try { st = lstatSync(src) } catch { continue }
    const to = join(dest, relFs)
    mkdirSync(dirname(to), { recursive: true })
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), to)
    else if (st.isFile()) { copyFileSync(src, to); chmodSync(to, st.mode & 0o111 ? 0o755 : 0o644) }
  }
  if (exportIgnore) removeExportIgnored(gitDir, files, dest, [], {}, workdir)
}

function commitInfo(gitDir: string, rev: string, shallow: boolean): { revCount: number | undefined; lastModified: number } {
  const lastModified = Number(gitText(gitDir, ['log', '-1', '--format=%ct', rev]))
  const revCount = shallow ? undefined : Number(gitText(gitDir, ['rev-list', '--count', rev]))
  return { revCount, lastModified }
}

function gitFetch(req: GitFetchRequest, cacheDir: string, env: NodeJS.ProcessEnv): GitFetchResult {
  const scratch = tempDir()
  const dest = join(scratch, 'tree')
  mkdirSync(dest)
  try {
    const url = Buffer.from(req.url, 'latin1').toString()
    let gitDir: string
    if (url.startsWith('file://')) {
      const path = decodeURIComponent(url.slice('file://'.length).replace(/[?#].*$/, ''))
      const found = tryGit(undefined, ['-C', path, 'rev-parse', '--absolute-git-dir'])
      if (found === undefined) throw new EvalError(`path '${path}' is not a Git repository`)
      gitDir = found
      const isBare = tryGit(undefined, ['-C', path, 'rev-parse', '--is-bare-repository']) === 'true'
      if (req.submodules && tryGit(gitDir, ['ls-files', '--error-unmatch', '.gitmodules'], { cwd: path }) !== undefined) {
        throw new EvalError('fetching Git submodules is not supported by this evaluator')
      }
      if (req.rev === undefined && req.ref === undefined && !isBare) {
        const head = tryGit(gitDir, ['rev-parse', '--verify', '--quiet', 'HEAD'])
        const dirty = head === undefined || gitText(gitDir, ['status', '--porcelain', '--untracked-files=no'], { cwd: path }) !== ''
        if (dirty) {
          copyWorkdir(path, gitDir, dest, req.exportIgnore)
          const lastModified = head === undefined ? 0 : commitInfo(gitDir, head, true).lastModified
          return { root: binPath(dest), rev: undefined, revCount: undefined, lastModified, dirtyRev: `${head ?? '0'.repeat(40)}-dirty` }
        }
        checkoutRev(gitDir, head, dest, req.exportIgnore, scratch)
        return { root: binPath(dest), rev: head, ...commitInfo(gitDir, head, req.shallow), dirtyRev: undefined }
      }
    } else {
      gitDir = join(cacheDir, NixHash.of('sha256', url).toNix32())
      mkdirSync(gitDir, { recursive: true })
      if (tryGit(gitDir, ['rev-parse', '--git-dir']) !== gitDir) git(undefined, ['init', '--bare', '-q', gitDir])
      const have = req.rev !== undefined && tryGit(gitDir, ['cat-file', '-e', `${req.rev}^{commit}`]) !== undefined
      if (!have) {
        const refspec = req.allRefs ? '+refs/*:refs/*' : `+${req.rev ?? req.ref ?? 'HEAD'}:refs/tsnix/fetched`
        try {
          git(gitDir, ['fetch', '--quiet', '--force', ...(req.shallow ? ['--depth', '1'] : []), '--', url, refspec], { env: env as Record<string, string> })
        } catch (e) {
          throw new EvalError(`failed to fetch Git repository '${url}': ${gitError(e)}`)
        }
      }
    }
    const rev = req.rev ?? resolveRef(gitDir, url.startsWith('file://') ? (req.ref ?? 'HEAD') : (req.allRefs ? (req.ref ?? 'HEAD') : 'refs/tsnix/fetched'))
    if (tryGit(gitDir, ['cat-file', '-e', `${rev}^{commit}`]) === undefined) throw new EvalError(`Cannot find Git revision '${rev}' in ref '${req.ref ?? 'HEAD'}' of repository '${url}'`)
    checkoutRev(gitDir, rev, dest, req.exportIgnore, scratch)
    return { root: binPath(dest), rev, ...commitInfo(gitDir, rev, req.shallow), dirtyRev: undefined }
  } catch (e) {
    rmSync(scratch, { recursive: true, force: true })
    if (e instanceof EvalError) throw e
    throw new EvalError(`fetching Git repository '${req.url}': ${gitError(e)}`)
  }
}
