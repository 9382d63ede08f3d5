/**
 * Synchronous serialisation of a source path for the evaluator (C++ `dumpPath` with a
 * `PathFilter`, as `fetchToStore`/`addToStore` do): the NAR (or, for flat ingestion, the file's
 * bytes) is hashed as it is produced, and kept only when it will be written to a store.
 *
 * Synchronous because evaluation is: the filter is a Nix function called in the middle.
 */
import { EvalError } from '../eval/errors.js'
import type { FileType } from '../eval/io.js'
import { NarEncoder } from '../nar/index.js'
import { createHasher, type NixHash } from '../store-path/index.js'
import type { SourceAccessor } from './source.js'

export interface DumpOptions {
  /** Called for every entry below the root; false leaves it (and its subtree) out. */
  readonly filter?: ((path: string, type: FileType) => boolean) | undefined
  /** Keep the NAR bytes (for writing to a store). */
  readonly keep?: boolean
}

export interface NarDump {
  readonly narHash: NixHash
  readonly narSize: number
  /** The NAR, in pieces, when `keep` was set. */
  readonly nar: readonly Uint8Array[] | undefined
}

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1')

/** NAR-serialise `path` (not following a final symlink), hashing with SHA-256. */
export function dumpSource(acc: SourceAccessor, path: string, opts: DumpOptions = {}): NarDump {
  const enc = new NarEncoder()
  const hasher = createHasher('sha256')
  const kept: Uint8Array[] | undefined = opts.keep === true ? [] : undefined
  const drain = (): void => {
    for (const p of enc.take()) {
      hasher.update(p)
      // the encoder does not recycle its buffers (no `recycle` option), so pieces stay valid
      if (kept) kept.push(p)
    }
  }
  const filter = opts.filter
  const visit = (p: string, type: FileType, executable: boolean): void => {
    switch (type) {
      case 'regular': {
        const c = acc.readFile(p)
        enc.regular(executable, c.length)
        if (c.length > 0) enc.contents(c)
        break
      }
      case 'symlink':
        enc.symlink(latin1(acc.readLink(p)))
        break
      case 'directory': {
        enc.directory()
        // binary strings compare bytewise, the NAR order
        const names = acc.readDir(p).sort()
        for (const n of names) {
          const child = p === '/' ? `/${n}` : `${p}/${n}`
          const st = acc.lstat(child)
          if (filter && !filter(child, st.type)) continue
          enc.entry(latin1(n))
          visit(child, st.type, st.executable)
          drain()
        }
        enc.directoryEnd()
        break
      }
      default:
        throw new EvalError(`file '${p}' has an unsupported type`)
    }
  }
  const st = acc.lstat(path)
  visit(path, st.type, st.executable)
  drain()
  enc.end()
  return { narHash: hasher.digest(), narSize: enc.size, nar: kept }
}

/** SHA-256 of a regular file's bytes (flat ingestion). */
export function hashFlat(acc: SourceAccessor, path: string): NixHash {
  const st = acc.lstat(path)
  // C++ reads whatever is there; a directory fails in read(2)
  if (st.type === 'directory') throw new EvalError('read of 4096 bytes: Is a directory')
  if (st.type !== 'regular') throw new EvalError(`file '${path}' is not a regular file`)
  return createHasher('sha256').update(acc.readFile(path)).digest()
}
