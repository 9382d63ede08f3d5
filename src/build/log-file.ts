/**
 * The build log file, where stock `nix log` and `nix-store -l` read it directly:
 * `<logDir>/drvs/<first 2 chars of the drv base name>/<rest>[.bz2]`.
 *
 * C++ Nix writes the `.bz2` while the build runs. Node has no bzip2, and starting the system
 * `bzip2` for every build costs more than a trivial build itself, so here the log is written
 * plain while the build runs and compressed right after it, in the background, one log at a
 * time (`.bz2` renamed into place, then the plain file removed; readers try the plain name
 * first, so a log is readable at every moment). An empty log becomes the fixed 14-byte empty
 * bzip2 stream at once. Without `compress-build-log`, or without `bzip2`, logs stay plain.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, open, rename, rm, unlink, writeFile, type FileHandle } from 'node:fs/promises'
import type { StorePath } from '../store-path/index.js'

export function logFilePath(logDir: string, drvPath: StorePath, compressed: boolean): string {
  const base = drvPath.baseName
  return `${logDir}/drvs/${base.slice(0, 2)}/${base.slice(2)}${compressed ? '.bz2' : ''}`
}

/** `bzip2 < /dev/null`: what an empty log compresses to. */
const EMPTY_BZIP2 = Uint8Array.from([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0x00, 0x00, 0x00, 0x00])

let bzip2: Promise<boolean> | undefined
function haveBzip2(): Promise<boolean> {
  bzip2 ??= new Promise<boolean>(resolve => {
    const p = spawn('bzip2', ['--help'], { stdio: 'ignore' })
    p.once('error', () => resolve(false))
    p.once('exit', () => resolve(true))
  })
  return bzip2
}

/** Compressions not finished yet, in order (one bzip2 at a time). */
let queue: Promise<void> = Promise.resolve()

/** Wait until every log handed over so far is compressed (tests, shutdown). */
export function logCompressionIdle(): Promise<void> { return queue }

async function compress(plain: string, bz2: string): Promise<void> {
  const tmp = `${bz2}.tmp-${process.pid}`
  const out = await open(tmp, 'w', 0o644)
  try {
    const child = spawn('bzip2', ['-c', plain], { stdio: ['ignore', out.fd, 'ignore'] })
    const [code] = await once(child, 'exit') as [number | null]
    if (code !== 0) throw new Error(`bzip2 exited with ${code}`)
  } catch (e) {
    await out.close()
    await unlink(tmp).catch(() => undefined)
    throw e
  }
  await out.close()
  await rename(tmp, bz2)
  await unlink(plain)
}

export class LogFile {
  private pending: Promise<unknown> = Promise.resolve()
  private failed = false
  private bytes = 0

  private constructor(readonly path: string, private readonly fh: FileHandle, private readonly compressTo: string | undefined) {}

  static async open(logDir: string, drvPath: StorePath, compress: boolean): Promise<LogFile> {
    const plain = logFilePath(logDir, drvPath, false)
    const bz2 = logFilePath(logDir, drvPath, true)
    await mkdir(plain.slice(0, plain.lastIndexOf('/')), { recursive: true })
    // An older log of this derivation would otherwise be read instead of (or besides) this one.
    await rm(bz2, { force: true })
    const fh = await open(plain, 'w', 0o644)
    return new LogFile(plain, fh, compress ? bz2 : undefined)
  }

  /** Append raw builder output (writes are queued in order). */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.failed || chunk.length === 0) return
    this.bytes += chunk.length
    const copy = Uint8Array.from(chunk)
    const p = this.pending.then(() => this.fh.write(copy)).catch(() => { this.failed = true })
    this.pending = p
    return p.then(() => undefined)
  }

  /** Finish the file; compression (if any) continues in the background. */
  async close(): Promise<void> {
    await this.pending
    await this.fh.close()
    const bz2 = this.compressTo
    if (!bz2) return
    if (this.bytes === 0) {
      await writeFile(`${bz2}.tmp-${process.pid}`, EMPTY_BZIP2, { mode: 0o644 })
      await rename(`${bz2}.tmp-${process.pid}`, bz2)
      await unlink(this.path)
      return
    }
    if (!(await haveBzip2())) return
    const plain = this.path
    queue = queue.then(() => compress(plain, bz2).catch(() => { /* the plain log stays */ }))
  }
}
