/**
 * DirectoryService (tvix castore/src/directoryservice/mod.rs): Directories by digest.
 *
 * Closure rules, as tvix's DirectoryGraph enforces them: a directory may refer only to
 * directories that are already stored or were sent earlier in the same upload (leaves to
 * root), each reference must carry the child's true `size`, and an upload must form one tree
 * whose root is sent last. `getRecursive` returns root to leaves (BFS), each directory once.
 */
import { Directory } from './directory.js'
import { B3Digest } from './digest.js'
import { CorruptObjectError, DirectoryClosureError, truncateName } from './errors.js'
import type { ObjectStore } from './object-store.js'

export interface DirectoryPutter {
  /** Add the next directory (leaves first). Children are checked as they arrive. */
  put(dir: Directory): Promise<void>
  /** Check the upload forms one tree, store it, and return the root digest. */
  close(): Promise<B3Digest>
}

export interface DirectoryService {
  get(digest: B3Digest): Promise<Directory | undefined>
  /** The root and everything below it, root first, breadth first, each directory once. Empty if the root is absent. */
  getRecursive(root: B3Digest): AsyncIterable<Directory>
  /** Store one directory whose children are already stored. */
  put(dir: Directory): Promise<B3Digest>
  /** Upload a tree leaves-to-root in one go (stored on close). */
  putMultiple(): DirectoryPutter
  /** Make everything stored so far durable. */
  sync(): Promise<void>
}

const SIZE_CACHE_MAX = 200_000
const PARALLEL = 16

/** DirectoryService over an ObjectStore: one object per directory, verified on read. */
export class ObjectDirectoryService implements DirectoryService {
  /** Digests known to be stored, with their sizes (a bounded cache; misses read the store). */
  private readonly sizes = new Map<string, bigint>()

  constructor(readonly store: ObjectStore) {}

  async get(d: B3Digest): Promise<Directory | undefined> {
    const bytes = await this.store.get('dir', d)
    if (bytes === undefined) return undefined
    if (!B3Digest.of(bytes).equals(d)) throw new CorruptObjectError(`directory ${d.hex}: stored bytes do not match the digest`)
    const dir = Directory.decode(bytes)
    this.remember(d, dir.size)
    return dir
  }

  async *getRecursive(root: B3Digest): AsyncIterable<Directory> {
    const first = await this.get(root)
    if (first === undefined) return
    const seen = new Set<string>([root.hex])
    let level: Directory[] = [first]
    while (level.length > 0) {
      const next: B3Digest[] = []
      for (const dir of level) {
        yield dir
        for (const e of dir.directories) {
          if (seen.has(e.node.digest.hex)) continue
          seen.add(e.node.digest.hex)
          next.push(e.node.digest)
        }
      }
      level = await mapLimit(next, PARALLEL, async (d) => {
        const dir = await this.get(d)
        if (dir === undefined) throw new CorruptObjectError(`directory ${d.hex} is referenced below ${root.hex} but missing`)
        return dir
      })
    }
  }

  async put(dir: Directory): Promise<B3Digest> {
    await Promise.all(dir.directories.map(e => this.checkStoredChild(e.name, e.node.digest, e.node.size)))
    await this.store.put('dir', dir.digest, dir.encode())
    this.remember(dir.digest, dir.size)
    return dir.digest
  }

  putMultiple(): DirectoryPutter {
    const sent = new Map<string, Directory>()
    const referenced = new Set<string>()
    let last: Directory | undefined
    let closed = false
    return {
      put: async (dir) => {
        if (closed) throw new DirectoryClosureError('directory upload: put after close')
        if (sent.has(dir.digest.hex)) { last = dir; return }
        for (const e of dir.directories) {
          const child = sent.get(e.node.digest.hex)
          if (child !== undefined) {
            if (child.size !== e.node.size) throw wrongSize(e.name, e.node.size, child.size)
          } else {
            await this.checkStoredChild(e.name, e.node.digest, e.node.size)
          }
          referenced.add(e.node.digest.hex)
        }
        sent.set(dir.digest.hex, dir)
        last = dir
      },
      close: async () => {
        if (closed) throw new DirectoryClosureError('directory upload: closed twice')
        closed = true
        if (last === undefined) throw new DirectoryClosureError('directory upload: no directories were sent')
        for (const [hex] of sent) {
          if (hex !== last.digest.hex && !referenced.has(hex)) throw new DirectoryClosureError(`directory upload: ${hex} is not connected to the root ${last.digest.hex}`)
        }
        await mapLimit([...sent.values()], PARALLEL, d => this.store.put('dir', d.digest, d.encode()))
        for (const d of sent.values()) this.remember(d.digest, d.size)
        return last.digest
      },
    }
  }

  sync(): Promise<void> { return this.store.sync() }

  private async checkStoredChild(name: Uint8Array, d: B3Digest, size: bigint): Promise<void> {
    let known = this.sizes.get(d.hex)
    if (known === undefined) {
      const child = await this.get(d)
      if (child === undefined) throw new DirectoryClosureError(`${truncateName(name)} refers to directory ${d.hex}, which is not stored`)
      known = child.size
    }
    if (known !== size) throw wrongSize(name, size, known)
  }

  private remember(d: B3Digest, size: bigint): void {
    if (this.sizes.size >= SIZE_CACHE_MAX) this.sizes.clear()
    this.sizes.set(d.hex, size)
  }
}

function wrongSize(name: Uint8Array, specified: bigint, recorded: bigint): DirectoryClosureError {
  return new DirectoryClosureError(`${truncateName(name)} has wrong size, specified ${specified}, recorded ${recorded}`)
}

/** Map with at most `limit` calls in flight, preserving order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!) }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}


