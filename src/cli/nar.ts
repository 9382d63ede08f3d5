/**
 * `tsnix nar` — NAR serialisation, mirroring the C++ tools for direct comparison:
 *
 *   tsnix nar dump PATH                     the NAR of PATH on stdout (as `nix-store --dump`)
 *   tsnix nar restore PATH                  unpack a NAR from stdin to PATH (as `nix-store --restore`)
 *   tsnix nar ls [-R] [-l] [-d] [--json] NARFILE [PATH]
 *                                           list a path inside a NAR file (as `nix nar ls`)
 */
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { dumpPath, listingAt, listingToJson, listNar, type NarListing, restorePath } from '../nar/index.js'

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

/** Write a byte stream to stdout, waiting for 'drain' whenever the pipe is full. */
export async function writeStdout(src: AsyncIterable<Uint8Array>): Promise<void> {
  const out = process.stdout
  let failed: Error | undefined
  const onError = (e: Error): void => { failed = e }
  out.on('error', onError)
  try {
    for await (const chunk of src) {
      if (failed) throw failed
      if (!out.write(chunk)) await once(out, 'drain')
    }
    if (failed) throw failed
  } finally {
    out.off('error', onError)
  }
}

async function dump(args: string[]): Promise<number> {
  await writeStdout(dumpPath(onePath(args)))
  return 0
}

async function restore(args: string[]): Promise<number> {
  const target = onePath(args)
  try {
    await restorePath(target, process.stdin)
  } finally {
    // The NAR may end before stdin does; nothing more is read from it.
    process.stdin.destroy()
  }
  return 0
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
