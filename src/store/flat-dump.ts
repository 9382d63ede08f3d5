/**
 * The body of a flat or text AddToStore (a file's bytes, not a NAR): hashed as it arrives and
 * held in memory up to a limit, then spooled to a temporary file (as C++
 * `addToStoreFromDump` does beyond `narBufferSize`), so a client cannot make the daemon hold
 * an arbitrarily large body in memory. Afterwards it is replayed as the NAR of one regular file.
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { createHasher, type HashAlgo, type NixHash } from '../store-path/index.js'
import { narFileHead, narFileTail } from '../nar/index.js'

/** C++ `settings.narBufferSize` (32 MiB). */
export const DEFAULT_MEMORY_LIMIT = 32 * 1024 * 1024

export interface SpooledDump {
  readonly size: number
  /** The body's hash with the content address's algorithm. */
  readonly hash: NixHash
  /** The NAR of a non-executable regular file with these contents (can be read once). */
  nar(): AsyncIterable<Uint8Array>
  /** Remove the temporary file, if any. */
  dispose(): Promise<void>
}

export async function spoolFlatDump(dump: AsyncIterable<Uint8Array>, algo: HashAlgo, opts: { spillDir: string; memoryLimit?: number }): Promise<SpooledDump> {
  const limit = opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT
  const hasher = createHasher(algo)
  const held: Uint8Array[] = []
  let size = 0
  let tmpDir: string | undefined
  let file: FileHandle | undefined
  try {
    for await (const chunk of dump) {
      hasher.update(chunk)
      size += chunk.length
      if (!file && size > limit) {
        tmpDir = await mkdtemp(join(opts.spillDir, 'add-'))
        file = await open(join(tmpDir, 'body'), 'w', 0o600)
        for (const h of held) await file.write(h)
        held.length = 0
      }
      if (file) await file.write(chunk)
      else held.push(chunk.slice())
    }
    await file?.close()
  } catch (e) {
    await file?.close().catch(() => undefined)
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true })
    throw e
  }
  const hash = hasher.digest()
  const bodyPath = tmpDir && join(tmpDir, 'body')
  return {
    size,
    hash,
    async *nar() {
      yield narFileHead(size)
      if (bodyPath) for await (const c of createReadStream(bodyPath, { highWaterMark: 256 * 1024 })) yield new Uint8Array((c as Buffer).buffer, (c as Buffer).byteOffset, (c as Buffer).length)
      else yield* held
      yield narFileTail(size)
    },
    async dispose() { if (tmpDir) await rm(tmpDir, { recursive: true, force: true }) },
  }
}
