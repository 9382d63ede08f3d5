/**
 * One HTTP(S) GET with redirects followed, for the downloads tsnix makes itself (`fetchurl` in
 * the evaluator, `builtin:fetchurl` in the builder). Callers word the errors as C++ does.
 *
 * TLS trust: the `tsnix` launcher (the first lines of src/cli/main.ts) moves NODE_EXTRA_CA_CERTS to
 * TSNIX_EXTRA_CA_CERTS, because Node 20 parses that file at every start (~40 ms for a system CA
 * bundle, half of a short command's run) although most commands never open a TLS connection.
 * Here, where one is opened, the file is read and added to Node's own roots, so such a download
 * trusts exactly what it would have trusted with the variable left in place.
 */
import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { deferredCaFile } from './launcher-env.js'

const require = createRequire(import.meta.url)

export const MAX_REDIRECTS = 10
/** What tsnix's downloads call themselves (servers that filter clients know curl and Nix). */
const USER_AGENT = 'curl/8 Nix/2.34.8 tsnix'

/** The server answered no final response within MAX_REDIRECTS redirects. */
export class TooManyRedirects extends Error {}

export interface HttpGetOptions {
  readonly signal?: AbortSignal | undefined
  /** Extra request headers (a `user-agent` here replaces tsnix's). */
  readonly headers?: Readonly<Record<string, string>>
  /** The environment the deferred CA file is read from (default process.env). */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * GET `url` (http: or https:), following up to MAX_REDIRECTS redirects; resolves with the
 * final response, whatever its status, its body not yet read. Connection and TLS errors reject
 * with Node's error.
 */
export async function httpGet(url: URL, opts: HttpGetOptions = {}): Promise<IncomingMessage> {
  let u = url
  for (let redirects = 0; ; redirects++) {
    const res = await getOnce(u, opts)
    const code = res.statusCode ?? 0
    const location = res.headers.location
    if (code < 300 || code >= 400 || location === undefined) return res
    res.resume()
    if (redirects >= MAX_REDIRECTS) throw new TooManyRedirects(`too many redirects (${MAX_REDIRECTS})`)
    u = new URL(location, u)
  }
}

function getOnce(u: URL, opts: HttpGetOptions): Promise<IncomingMessage> {
  // node:http(s) load on first download: evaluations that fetch nothing do not pay for them.
  const https = u.protocol === 'https:'
  const get = https
    ? (require('node:https') as typeof import('node:https')).get
    : (require('node:http') as typeof import('node:http')).get
  const options: import('node:https').RequestOptions = { headers: { 'user-agent': USER_AGENT, ...opts.headers } }
  if (opts.signal !== undefined) options.signal = opts.signal
  if (https) {
    const ca = deferredCa(opts.env ?? process.env)
    if (ca !== undefined) options.ca = ca
  }
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = get(u, options, resolve)
    req.once('error', reject)
  })
}

const caCache = new Map<string, string[]>()

/**
 * Node's roots plus the deferred NODE_EXTRA_CA_CERTS file, or undefined when nothing was
 * deferred (Node then uses its roots, with the file if it loaded it at start-up). An unreadable
 * file is ignored with a warning, as Node does with NODE_EXTRA_CA_CERTS.
 */
export function deferredCa(env: NodeJS.ProcessEnv): string[] | undefined {
  const file = deferredCaFile(env)
  if (file === undefined) return undefined
  let ca = caCache.get(file)
  if (ca === undefined) {
    const { rootCertificates } = require('node:tls') as typeof import('node:tls')
    let extra: string[] = []
    try {
      extra = [readFileSync(file, 'latin1')]
    } catch (e) {
      process.emitWarning(`ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`)
    }
    ca = [...rootCertificates, ...extra]
    caCache.set(file, ca)
  }
  return ca
}
