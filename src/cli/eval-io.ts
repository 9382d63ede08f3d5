/**
 * The evaluator's IO on the real file system and process environment (the Node side of
 * src/eval/io.ts). Paths and environment values cross this boundary as binary strings (one
 * char per byte) because Nix strings are bytes.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import type { EvalIO, FileType } from '../eval/io.js'
import { filterANSIEscapes } from '../eval/terminal.js'
import { userEnvVar } from '../os/launcher-env.js'

const toFs = (p: string): Buffer => Buffer.from(p, 'latin1')
const fromFs = (b: Buffer): string => b.toString('latin1')

function typeOfStats(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  if (s.isFile()) return 'regular'
  if (s.isDirectory()) return 'directory'
  if (s.isSymbolicLink()) return 'symlink'
  return 'unknown'
}

export class NodeEvalIO implements EvalIO {
  private readonly stderrSink: (text: string) => void
  private readonly env: NodeJS.ProcessEnv
  constructor(stderrSink?: (text: string) => void, env: NodeJS.ProcessEnv = process.env) {
    this.stderrSink = stderrSink ?? (t => { process.stderr.write(Buffer.from(t, 'latin1')) })
    this.env = env
  }

  pathExists(path: string): boolean {
    try { statSync(toFs(path)); return true } catch { return false }
  }
  readFile(path: string): Uint8Array {
    try {
      return readFileSync(toFs(path))
    } catch (e) {
      // C++ reads a directory's st_size bytes and reports that read ("read of 4096 bytes: …").
      if ((e as { code?: string }).code === 'EISDIR') Object.assign(e as object, { size: statSync(toFs(path)).size })
      throw e
    }
  }
  readDir(path: string): Array<[string, FileType]> {
    return readdirSync(toFs(path), { withFileTypes: true, encoding: 'buffer' }).map(d => [fromFs(d.name as Buffer), typeOfStats(d)])
  }
  fileType(path: string): FileType {
    return typeOfStats(lstatSync(toFs(path)))
  }
  realPath(path: string): string {
    return fromFs(realpathSync(toFs(path), { encoding: 'buffer' }))
  }
  getEnv(name: string): string | undefined {
    const v = userEnvVar(this.env, Buffer.from(name, 'latin1').toString('utf8'))
    return v === undefined ? undefined : Buffer.from(v, 'utf8').toString('latin1')
  }
  currentTime(): number {
    return Math.floor(Date.now() / 1000)
  }
  /** One log message (trace, warning): filtered as C++'s logger does for a non-terminal. */
  writeStderr(text: string): void {
    this.stderrSink(filterANSIEscapes(text))
  }
}
