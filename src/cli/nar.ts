/**
 * `tsnix nar` — NAR serialisation, mirroring the C++ tools for direct comparison:
 *
 *   tsnix nar dump PATH                     the NAR of PATH on stdout (as `nix-store --dump`)
 *   tsnix nar restore PATH                  unpack a NAR from stdin to PATH (as `nix-store --restore`)
 *   tsnix nar ls [-R] [-l] [-d] [--json] NARFILE [PATH]
 *                                           list a path inside a NAR file (as `nix nar ls`)
 */
import { createReadStream, fstatSync, readSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { dumpPathSync, FdOutput, listingAt, listingToJson, listNar, type NarListing, restorePath } from '../nar/index.js'
import { narHelperMode } from './nar-helper-mode.js'

const USAGE = `usage: tsnix nar dump PATH
       tsnix nar restore PATH < NAR
       tsnix nar ls [-R] [-l] [-d] [--json] NARFILE [PATH]
`

class UsageError extends Error {}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'dump': return await dump(rest)
      case 'restore': return await restore(rest)
      case 'ls': return await ls(rest)
      case '--help': case '-h': case 'help': process.stdout.write(USAGE); return 0
      default: throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`)
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(e as Error).message}\n${USAGE}`)
      return 1
    }
    throw e
  }
}

function onePath(args: string[]): string {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true })
  if (positionals.length !== 1) throw new UsageError(`expected exactly one path, got ${positionals.length}`)
  return positionals[0]!
}

async function dump(args: string[]): Promise<number> {
  // Blocking writes to fd 1 (see FdOutput), big files' contents by sendfile. Pieces of 64 KiB,
  // a pipe's capacity: a bigger write blocks until the reader has taken all of it, so this
  // process could not encode the next piece meanwhile (30k files into `| nix-hash`, at real-
  // time priority: 0.59 s with 256 KiB pieces, 0.49 s with 64 KiB; no change to /dev/null).
  // Into a pipe or socket, directories' small files are written by the native walk itself, file
  // by file as C++ does (DumperOptions.outFd): a reader on the other core then works while the
  // next files are read (1 GiB bench tree into `| nix-hash`: 1.20 -> 1.04 s, C++ 0.97-1.8 s).
  // Into a file or /dev/null, reading ahead on the thread pool is faster (0.21 s, direct 0.25 s).
  // TSNIX_NAR_DIRECT=0 / 1 turns it off / on whatever the output.
  const out = new FdOutput(1)
  dumpPathSync(onePath(args), p => out.write(p), {
    chunkSize: 64 * 1024, readSize: 1024 * 1024, helper: narHelperMode(), sendRange: r => out.sendRange(r),
    ...(directOutput(out.fd) ? { outFd: out.fd } : {}),
  })
  return 0
}

function directOutput(fd: number): boolean {
  const env = process.env['TSNIX_NAR_DIRECT']
  if (env === '0' || env === '1') return env === '1'
  try {
    const st = fstatSync(fd)
    return st.isFIFO() || st.isSocket()
  } catch {
    return false
  }
}

async function restore(args: string[]): Promise<number> {
  const target = onePath(args)
  // The NAR may end before stdin does; nothing after it is read.
  await restorePath(target, readStdin(), { sync: true, helper: narHelperMode() })
  return 0
}

/**
 * Stdin in 1 MiB chunks, read synchronously: process.stdin reads 64 KiB at a time through
 * more stream machinery (costing about as much CPU as the restore itself), and a thread-pool
 * read per chunk waits on scheduling when the machine is busy. A command has nothing else to
 * do meanwhile. Two buffers alternate: the NAR reader is done with a chunk before it asks for
 * the next one.
 */
async function* readStdin(): AsyncGenerator<Uint8Array> {
  const bufs = [Buffer.allocUnsafeSlow(1024 * 1024), Buffer.allocUnsafeSlow(1024 * 1024)]
  for (let i = 0; ; i ^= 1) {
    let n: number
    try {
      n = readSync(0, bufs[i]!, 0, bufs[i]!.length, null)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
      await new Promise(r => setTimeout(r, 1)) // a non-blocking pipe with nothing in it yet
      continue
    }
    if (n === 0) return
    yield bufs[i]!.subarray(0, n)
  }
}

async function ls(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      recursive: { type: 'boolean', short: 'R' }, long: { type: 'boolean', short: 'l' },
      directory: { type: 'boolean', short: 'd' }, json: { type: 'boolean' },
    },
    allowPositionals: true, strict: true,
  })
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('expected NARFILE [PATH]')
  const [narFile, inside = '/'] = positionals as [string, string?]
  const listing = await listNar(createReadStream(narFile, { highWaterMark: 1024 * 1024 }))
  const node = listingAt(listing, inside)
  if (node === undefined) throw new Error(`path '${inside}' does not exist in NAR file '${narFile}'`)
  if (values.json) {
    if (values.directory) throw new UsageError("'--directory' is useless with '--json'")
    process.stdout.write(listingToJson(node, { recursive: values.recursive === true }) + '\n')
    return 0
  }
  const lines: string[] = []
  const show = (n: NarListing, rel: string): void => {
    if (values.long) {
      const mode = n.type === 'regular' ? (n.executable ? '-r-xr-xr-x' : '-r--r--r--') : n.type === 'symlink' ? 'lrwxrwxrwx' : 'dr-xr-xr-x'
      const size = n.type === 'regular' ? n.size : 0
      lines.push(`${mode} ${String(size).padStart(20)} ${rel}${n.type === 'symlink' ? ` -> ${n.target}` : ''}`)
    } else {
      lines.push(rel)
    }
    if (values.recursive && n.type === 'directory') contents(n, rel)
  }
  const contents = (dir: Extract<NarListing, { type: 'directory' }>, rel: string): void => {
    for (const [name, child] of [...dir.entries].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))) show(child, `${rel}/${name}`)
  }
  // As C++ MixLs: a directory shows its contents (relative to "."), anything else itself.
  if (node.type === 'directory' && !values.directory) contents(node, '.')
  else show(node, node.type === 'directory' ? '.' : baseName(inside))
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n')
  return 0
}

function baseName(p: string): string {
  const parts = p.split('/').filter(s => s !== '' && s !== '.')
  return parts[parts.length - 1] ?? '.'
}
