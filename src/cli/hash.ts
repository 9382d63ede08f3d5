/**
 * `tsnix hash` — hashing as C++ Nix's `nix-hash` and `nix hash convert` do it:
 *
 *   tsnix hash path [--type ALGO] [--base16|--base32|--base64|--sri] [--truncate] PATH…
 *       NAR hash of each path, like `nix-hash PATH` (default md5, base16, as nix-hash)
 *   tsnix hash file [same flags] PATH…
 *       flat hash of each file's contents, like `nix-hash --flat PATH`
 *   tsnix hash convert [--hash-algo ALGO] [--from FORMAT] [--to FORMAT] HASH…
 *       like `nix hash convert` (default --to sri); FORMAT is base16, nix32 (base32), base64 or sri
 *
 * As with nix-hash, the last of --base16/--base32/--base64/--sri wins, and `--truncate` folds
 * hashes longer than 160 bits to 20 bytes (C++ `compressHash`).
 */
import { parseArgs } from 'node:util'
import { hashFile, hashPath } from '../nar/index.js'
import { narHelperMode } from './nar-helper-mode.js'
import {
  BadHashError, compressHash, encodeBase16, encodeBase64, encodeNix32, HASH_SIZE, type HashAlgo, type HashFormat,
  nix32Length, NixHash, parseHashAlgo,
} from '../store-path/index.js'

const USAGE = `usage: tsnix hash path|file [--type ALGO] [--base16|--base32|--base64|--sri] [--truncate] PATH...
       tsnix hash convert [--hash-algo ALGO] [--from FORMAT] [--to FORMAT] HASH...
`

class UsageError extends Error {}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'path': return await hashPaths(rest, 'nar')
      case 'file': return await hashPaths(rest, 'flat')
      case 'convert': return convert(rest)
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

const FORMAT_FLAGS: Record<string, HashFormat> = { base16: 'base16', base32: 'nix32', base64: 'base64', sri: 'sri' }

async function hashPaths(args: string[], mode: 'nar' | 'flat'): Promise<number> {
  const { values, positionals, tokens } = parseArgs({
    args,
    options: {
      type: { type: 'string' }, truncate: { type: 'boolean' },
      base16: { type: 'boolean' }, base32: { type: 'boolean' }, base64: { type: 'boolean' }, sri: { type: 'boolean' },
    },
    allowPositionals: true, strict: true, tokens: true,
  })
  let format: HashFormat = 'base16'
  for (const t of tokens) if (t.kind === 'option' && FORMAT_FLAGS[t.name]) format = FORMAT_FLAGS[t.name]!
  const algo = parseHashAlgo(values.type ?? 'md5')
  for (const p of positionals) {
    const h = mode === 'nar' ? (await hashPath(p, algo, { helper: narHelperMode() })).hash : (await hashFile(p, algo)).hash
    process.stdout.write(printHash(h, format, values.truncate === true) + '\n')
  }
  return 0
}

/** C++ `Hash::to_string(format, includeAlgo = format == SRI)`, after optional truncation. */
function printHash(h: NixHash, format: HashFormat, truncate: boolean): string {
  const d = truncate && h.digest.length > 20 ? compressHash(h.digest, 20) : h.digest
  switch (format) {
    case 'base16': return encodeBase16(d)
    case 'nix32': return encodeNix32(d)
    case 'base64': return encodeBase64(d)
    case 'sri': return `${h.algo}-${encodeBase64(d)}`
  }
}

// A closed set checked by hand: zod would add ~80 ms to every `tsnix hash` start-up.
const FORMATS: Record<string, HashFormat> = { base16: 'base16', nix32: 'nix32', base32: 'nix32', base64: 'base64', sri: 'sri' }

function parseFormat(s: string): HashFormat {
  const f = FORMATS[s]
  if (f === undefined || !Object.hasOwn(FORMATS, s)) throw new UsageError(`unknown hash format '${s}', expect 'base16', 'base32', 'base64', or 'sri'`)
  if (s === 'base32') process.stderr.write('warning: "base32" is a deprecated alias for hash format "nix32".\n')
  return f
}

function convert(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    options: { 'hash-algo': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    allowPositionals: true, strict: true,
  })
  const to = values.to !== undefined ? parseFormat(values.to) : 'sri'
  const from = values.from !== undefined ? parseFormat(values.from) : undefined
  const algo = values['hash-algo'] !== undefined ? parseHashAlgo(values['hash-algo']) : undefined
  for (const s of positionals) {
    const { hash, format } = parseWithFormat(s, algo)
    if (from !== undefined && from !== format) {
      throw new BadHashError(`input hash '${s}' has format '${format}', but '--from ${from}' was specified`)
    }
    process.stdout.write(hash.format(to, to === 'sri') + '\n')
  }
  return 0
}

/** C++ `Hash::parseAnyReturningFormat`: the hash and the encoding its digest was written in. */
function parseWithFormat(s: string, algo: HashAlgo | undefined): { hash: NixHash; format: HashFormat } {
  const hash = NixHash.parseAny(s, algo)
  const colon = s.indexOf(':')
  if (colon < 0 && s.startsWith(`${hash.algo}-`)) return { hash, format: 'sri' }
  const digest = colon < 0 ? s : s.slice(colon + 1)
  const size = HASH_SIZE[hash.algo]
  const format: HashFormat = digest.length === size * 2 ? 'base16' : digest.length === nix32Length(size) ? 'nix32' : 'base64'
  return { hash, format }
}
