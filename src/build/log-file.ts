/**
 * The build log file, written while the build runs (as C++ `openLogFile` does):
 * `<logDir>/drvs/<first 2 chars of the drv base name>/<rest>.bz2`, bzip2-compressed when
 * `compress-build-log` is set — where stock `nix log` and `nix-store -l` read it directly.
 * Node has no bzip2, so the system `bzip2` compresses (started with the build, fed as output
 * arrives); without it the log is stored uncompressed, which `nix log` reads as well.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises'
import type { StorePath } from '../store-path/index.js'

export function logFilePath(logDir: string, drvPath: StorePath, compressed: boolean): string {
  const base = drvPath.baseName
  return `${logDir}/drvs/${base.slice(0, 2)}/${base.slice(2)}${compressed ? '.bz2' : ''}`
}

let bzip2: Promise<boolean> | undefined
function haveBzip2(): Promise<boolean> {
  bzip2 ??= new Promise<boolean>(resolve => {
    const p = spawn('bzip2', ['--help'], { stdio: 'ignore' })
    p.once('error', () => resolve(false))
    p.once('exit', () => resolve(true))
  })
  return bzip2
}

export class LogFile {
  private pending: Promise<unknown> = Promise.resolve()
  private failed = false

  private constructor(readonly path: string, private readonly fh: FileHandle, private readonly child: ChildProcess | undefined) {}

  static async open(logDir: string, drvPath: StorePath, compress: boolean): Promise<LogFile> {
    const useBz = compress && (await haveBzip2())
    const path = logFilePath(logDir, drvPath, useBz)
    await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true })
    // A log of the other kind from an earlier build would shadow or confuse this one.
    await rm(logFilePath(logDir, drvPath, !useBz), { force: true })
    const fh = await open(path, 'w', 0o644)
    const child = useBz ? spawn('bzip2', ['-c'], { stdio: ['pipe', fh.fd, 'ignore'] }) : undefined
    child?.stdin!.on('error', () => { /* reported by close() through the exit status */ })
    return new LogFile(path, fh, child)
  }

  /** Append raw builder output; returns a promise when the compressor wants us to wait. */
  write(chunk: Uint8Array): void | Promise<void> {
    if (this.failed) return
    if (this.child) {
      if (!this.child.stdin!.write(chunk)) return once(this.child.stdin!, 'drain').then(() => undefined, () => undefined)
      return
    }
    const p = this.pending.then(() => this.fh.write(chunk)).catch(() => { this.failed = true })
    this.pending = p
    return p.then(() => undefined)
  }

  async close(): Promise<void> {
    if (this.child) {
      const exited = once(this.child, 'exit')
      this.child.stdin!.end()
      await exited
    } else {
      await this.pending
    }
    await this.fh.close()
  }
}
