/**
 * Everything the evaluator needs from the outside world, injected (tvix eval/src/io.rs): the
 * evaluator never imports `node:fs` or a store. The CLI passes a Node implementation
 * (src/cli/eval-io.ts); tests use `MemoryEvalIO`. Paths are binary strings (one char per
 * byte), file contents are bytes.
 */
import type { NixHash } from '../store-path/index.js'

export type FileType = 'regular' | 'directory' | 'symlink' | 'unknown'

export interface EvalIO {
  /** Whether a path exists (following symlinks, as `builtins.pathExists`). */
  pathExists(path: string): boolean
  /** File contents; throws an Error with a `code` ('ENOENT', 'EISDIR' with the directory's `size`, …) on failure. */
  readFile(path: string): Uint8Array
  /** Directory entries with their types (symlinks not followed). */
  readDir(path: string): Array<[string, FileType]>
  /** The type of `path` without following a final symlink (`builtins.readFileType`). */
  fileType(path: string): FileType
  /** Resolve symlinks in every component (C++ `resolveSymlinks`/`realpath`). */
  realPath?(path: string): string
  /** Environment variable (`builtins.getEnv`); undefined when unset. */
  getEnv(name: string): string | undefined
  /** Seconds since the epoch (`builtins.currentTime`). */
  currentTime(): number
  /** Write to stderr (trace, warnings). */
  writeStderr(text: string): void
  /**
   * Store hooks. Absent or `readOnly` ⇒ paths are only computed, never written
   * (`NIX_REMOTE=dummy://` mode). Implemented by the store glue.
   */
  store?: EvalStoreIO
  /** Fetchers' access to the network, archives and Git (absent: fetchers fail). */
  fetch?: EvalFetchIO
}

export interface EvalStoreIO {
  readonly readOnly: boolean
  /** Add a text file (`builtins.toFile`, `.drv` files): returns nothing; the path is precomputed. */
  addTextToStore?(storePath: string, contents: Uint8Array, references: readonly string[]): void
  /** Copy a filesystem path into the store as it would be added by `nix-store --add`. */
  addPathToStore?(storePath: string, sourcePath: string): void
  /** Whether a store path is valid (exists in the store). */
  isValidPath?(storePath: string): boolean
  /**
   * Serialise a file system path (NAR or flat), hash it and — unless read-only — add it to the
   * store; returns the store path (C++ `fetchToStore`/`addToStore` of a source path).
   */
  addSourcePath?(req: AddSourcePathRequest): string
  /** `addSourcePath`, also giving the NAR hash (fetchers report it as `narHash`). */
  addSourcePathWithHash?(req: AddSourcePathRequest): { path: string; narHash: NixHash }
  /** References of a valid store path; throws an `EvalError` if it is not valid. */
  queryReferences?(storePath: string): readonly string[]
  /** The ATerm text of a valid `.drv` (binary string); throws an `EvalError` if it is not valid. */
  readDerivation?(drvPath: string): string
  /** Build derivation outputs (`/nix/store/…drv!out`) for import from derivation. */
  buildPaths?(paths: readonly string[]): void
  /** Finish writes still in flight (a store may batch them); throws an `EvalError` for a failed one. */
  flush?(): void
}

/** What `builtins.path`, `filterSource` and `"${./p}"` ask the store to add. */
export interface AddSourcePathRequest {
  /** Absolute source path (binary string). */
  readonly path: string
  /** Store path name. */
  readonly name: string
  /** `nar` (recursive) or `flat` (a regular file's bytes). */
  readonly method: 'nar' | 'flat'
  /**
   * Follow a final symlink too (`builtins.path`, C++ `SymlinkResolution::Full`); otherwise only
   * the parent directories' (`"${./p}"`, `SymlinkResolution::Ancestors`).
   */
  readonly followLinks?: boolean
  /** Called for every entry below `path` with its path and type; false leaves it out. */
  readonly filter?: (path: string, type: FileType) => boolean
  /** Write even in read-only mode (fetchers add what they fetch, as C++ does). */
  readonly force?: boolean
}

/**
 * Fetching for `fetchurl`/`fetchTarball`/`fetchGit`/`fetchTree` (implemented by the glue):
 * everything lands in local temporary files or directories, which the builtins then add to
 * the store through `EvalStoreIO.addSourcePath`.
 */
export interface EvalFetchIO {
  /** A local file with the contents of `url` (a `file://` path as it is, others downloaded). */
  download(url: string): { path: string; temporary: boolean }
  /** Unpack an archive (tar with any compression, zip) into a new temporary directory. */
  unpack(archive: string, url: string): { root: string; lastModified: number }
  /** A Git tree checked out into a new temporary directory. */
  git(req: GitFetchRequest): GitFetchResult
  /** The newest modification time in a tree, seconds since the epoch (fetchTree `path`). */
  lastModified(path: string): number
  /** Delete a temporary file or directory made by the methods above. */
  remove(path: string): void
}

export interface GitFetchRequest {
  readonly url: string
  readonly ref: string | undefined
  readonly rev: string | undefined
  readonly submodules: boolean
  readonly shallow: boolean
  readonly allRefs: boolean
  readonly exportIgnore: boolean
}

export interface GitFetchResult {
  readonly root: string
  /** The commit, or undefined for a dirty working tree. */
  readonly rev: string | undefined
  readonly revCount: number | undefined
  readonly lastModified: number
  /** `<HEAD>-dirty` when the working tree has uncommitted changes. */
  readonly dirtyRev: string | undefined
}

class NotFound extends Error {
  readonly code = 'ENOENT'
}

/** An in-memory file tree for tests: `{ '/a/b.nix': '1', '/a/d': null /* directory *\/ }`. */
export class MemoryEvalIO implements EvalIO {
  private readonly files = new Map<string, Uint8Array | 'dir'>()
  stderr = ''
  env: Record<string, string> = {}
  time = 0

  constructor(files: Record<string, string | Uint8Array | null> = {}) {
    for (const [p, c] of Object.entries(files)) this.add(p, c)
  }

  add(path: string, contents: string | Uint8Array | null): void {
    const parts = path.split('/').filter(Boolean)
    for (let i = 1; i < parts.length; i++) this.files.set('/' + parts.slice(0, i).join('/'), 'dir')
    this.files.set(path, contents === null ? 'dir' : typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents)
  }

  pathExists(path: string): boolean { return path === '/' || this.files.has(path.replace(/\/+$/, '')) }
  readFile(path: string): Uint8Array {
    const f = this.files.get(path)
    if (f === undefined) throw new NotFound(`no such file: ${path}`)
    // `size`: a directory's st_size, which C++ reports (an ext4 directory's)
    if (f === 'dir') throw Object.assign(new Error(`is a directory: ${path}`), { code: 'EISDIR', size: 4096 })
    return f
  }
  readDir(path: string): Array<[string, FileType]> {
    const prefix = path === '/' ? '/' : path + '/'
    if (path !== '/' && this.files.get(path) !== 'dir') throw new NotFound(`no such directory: ${path}`)
    const out: Array<[string, FileType]> = []
    for (const [p, c] of this.files) {
      if (!p.startsWith(prefix)) continue
      const rest = p.slice(prefix.length)
      if (rest === '' || rest.includes('/')) continue
      out.push([rest, c === 'dir' ? 'directory' : 'regular'])
    }
    return out
  }
  fileType(path: string): FileType {
    const f = this.files.get(path)
    if (f === undefined) throw new NotFound(`no such file: ${path}`)
    return f === 'dir' ? 'directory' : 'regular'
  }
  getEnv(name: string): string | undefined { return this.env[name] }
  currentTime(): number { return this.time }
  writeStderr(text: string): void { this.stderr += text }
}
