/**
 * Build logs where stock `nix log` reads them: `<logDir>/drvs/<first 2 chars>/<rest of the
 * drv base name>`, bzip2-compressed with a `.bz2` suffix as C++ Nix writes them
 * (`compress-build-log = true`), written atomically. Node has no bzip2, so the system `bzip2`
 * compresses; without it the log is stored uncompressed, which `nix log` reads as well.
 */
import { spawn } from 'node:child_process'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { once } from 'node:events'
import type { StorePath } from '../store-path/index.js'

export function buildLogPath(logDir: string, drvPath: StorePath, compressed: boolean): string {
  const base = drvPath.baseName
  return `${logDir}/drvs/${base.slice(0, 2)}/${base.slice(2)}${compressed ? '.bz2' : ''}`
}

let haveBzip2: boolean | undefined
async function bzip2Available(): Promise<boolean> {
  if (haveBzip2 !== undefined) return haveBzip2
  haveBzip2 = await new Promise<boolean>(resolve => {
    const p = spawn('bzip2', ['--help'], { stdio: 'ignore' })
    p.once('error', () => resolve(false))
    p.once('exit', () => resolve(true))
  })
  return haveBzip2
}

/** Store a build log (the whole stream), replacing an earlier one. */
export async function writeBuildLog(logDir: string, drvPath: StorePath, log: AsyncIterable<Uint8Array>, compress = true): Promise<string> {
  const useBz = compress && (await bzip2Available())
  const final = buildLogPath(logDir, drvPath, useBz)
  await mkdir(final.slice(0, final.lastIndexOf('/')), { recursive: true })
  const tmp = `${final}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  const fh = await open(tmp, 'w', 0o444)
  try {
    if (useBz) {
      const child = spawn('bzip2', ['-c'], { stdio: ['pipe', fh.fd, 'inherit'] })
      const exited = once(child, 'exit')
      const stdin = child.stdin!
      for await (const c of log) if (!stdin.write(c)) await once(stdin, 'drain')
      stdin.end()
      const [code] = await exited
      if (code !== 0) throw new Error(`bzip2 exited with status ${code}`)
    } else {
      for await (const c of log) await fh.write(c)
    }
    await fh.sync()
  } catch (e) {
    await fh.close()
    await unlink(tmp).catch(() => undefined)
    throw e
  }
  await fh.close()
  await rename(tmp, final)
  return final
}
