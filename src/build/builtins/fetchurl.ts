/**
 * `builtin:fetchurl` (C++ builtins/fetchurl.cc): download `url` into `out` — as a file, or
 * with `unpack = "1"` as a NAR to restore (`.xz` NARs are decompressed first) — and make it
 * executable when `executable = "1"`. Only for fixed-output (or impure) derivations; the
 * hash is checked by the ordinary output registration. Supports `file://`, `http://` and
 * `https://` (Node's own TLS stack and CA list, see src/os/http-get.ts).
 */
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { chmod, open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { basename } from 'node:path'
import { derivationType, type BasicDerivation } from '../../derivation/index.js'
import { restorePath } from '../../nar/index.js'
import { httpGet, TooManyRedirects } from '../../os/http-get.js'
import { BuiltinBuilderError } from '../errors.js'
import { hl } from '../messages.js'
import { attr, type BuiltinContext } from './index.js'

export async function builtinFetchurl(drv: BasicDerivation, b: BuiltinContext): Promise<void> {
  const out = b.outputs.get('out')
  if (out === undefined) throw new BuiltinBuilderError("'builtin:fetchurl' requires an 'out' output")
  const t = derivationType(drv)
  if (!((t.kind === 'contentAddressed' && t.fixed) || t.kind === 'impure')) {
    throw new BuiltinBuilderError("'builtin:fetchurl' must be a fixed-output or impure derivation")
  }
  const url = attr(drv, 'url')
  const unpack = drv.env.get('unpack') === '1'
  let body: AsyncIterable<Uint8Array>
  try { body = await download(url, b.signal) } catch (e) {
    if (e instanceof BuiltinBuilderError && !unpack) throw new BuiltinBuilderError(e.message, [`writing file ${hl(JSON.stringify(b.storeDir.path + '/' + basename(out)))}`])
    throw e
  }
  if (unpack && url.endsWith('.xz')) body = decompressXz(body)
  if (unpack) await restorePath(out, body)
  else {
    const fh = await open(out, 'wx', 0o644)
    try { for await (const c of body) await fh.write(c) } finally { await fh.close() }
  }
  if (drv.env.get('executable') === '1') await chmod(out, 0o755)
}

async function download(url: string, signal: AbortSignal | undefined): Promise<AsyncIterable<Uint8Array>> {
  let u: URL
  try { u = new URL(url) } catch { throw new BuiltinBuilderError(`'${url}' is not a valid URL`) }
  if (u.protocol === 'file:') {
    const path = fileURLToPath(u)
    const s = createReadStream(path)
    await new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject) }).catch(() => {
      // libcurl's wording for an unreadable file:// URL, as C++ shows it.
      throw new BuiltinBuilderError(`unable to download '${hl(url)}': ${hl("Could not read a file:// file")} (${hl(37)}) ${hl(`Could not open file ${path}`)}`)
    })
    return s as AsyncIterable<Buffer>
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BuiltinBuilderError(`unable to download '${url}': unsupported protocol '${u.protocol.slice(0, -1)}'`)
  const res = await httpGet(u, { signal }).catch(e => {
    if (e instanceof TooManyRedirects) throw new BuiltinBuilderError(`unable to download '${hl(url)}': ${hl('Number of redirects hit maximum amount')} (${hl(47)})`)
    throw new BuiltinBuilderError(`unable to download '${hl(url)}': ${hl(describe(e))}`)
  })
  const code = res.statusCode ?? 0
  if (code !== 200) {
    res.resume()
    throw new BuiltinBuilderError(`unable to download '${hl(url)}': HTTP error ${hl(code)}`)
  }
  return res as AsyncIterable<Buffer>
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException
  if (err.code === 'ECONNREFUSED') return "Couldn't connect to server"
  return err.message ?? String(e)
}

function decompressXz(src: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const child = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] })
  void (async () => {
    try { for await (const c of src) if (!child.stdin.write(c)) await new Promise(r => child.stdin.once('drain', r)) } finally { child.stdin.end() }
  })()
  return Readable.from(child.stdout as AsyncIterable<Buffer>)
}
