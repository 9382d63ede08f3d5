/**
 * The slice of RFC 3986 that store URIs need (C++ `parseURL`, `ParsedURL`, `percentEncode`,
 * `decodeQuery`, `encodeQuery` in libutil/url.cc, which use Boost.URL): parse an absolute URI
 * into scheme, authority, path segments, query map and fragment, and print it back.
 *
 * Nix's leniency is kept: with `lenient`, unescaped spaces and `"` in the query (and `^` in the
 * fragment) are accepted. Query keys without `=` are dropped; the first of repeated keys wins.
 */
import { BadStoreReferenceError } from './errors.js'

export type HostType = 'name' | 'ipv4' | 'ipv6' | 'ipvfuture'

export interface Authority {
  readonly hostType: HostType
  /** Decoded; an IPv6 host is without brackets and carries its zone as `%zone`. */
  readonly host: string
  readonly user?: string | undefined
  readonly password?: string | undefined
  readonly port?: number | undefined
}

export interface ParsedURL {
  readonly scheme: string
  readonly authority?: Authority | undefined
  /** Decoded path segments: `/a/b` is `['', 'a', 'b']`, `` is `[]`. */
  readonly path: readonly string[]
  readonly query: ReadonlyMap<string, string>
  readonly fragment: string
}

const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const isDigit = (c: number) => c >= 48 && c <= 57
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
const isUnreserved = (c: number) => isAlpha(c) || isDigit(c) || c === 45 || c === 46 || c === 95 || c === 126
const SUB_DELIMS = "!$&'()*+,;="
const isSubDelim = (c: number) => SUB_DELIMS.includes(String.fromCharCode(c))

/** True if every character of `s` is allowed by `ok` or is part of a valid `%XX`. */
function validChars(s: string, ok: (c: number) => boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 37 /* % */) {
      if (!(isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false
      i += 2
    } else if (!ok(c)) return false
  }
  return true
}

const pchar = (c: number) => isUnreserved(c) || isSubDelim(c) || c === 58 /* : */ || c === 64 /* @ */
const queryChar = (c: number) => pchar(c) || c === 47 /* / */ || c === 63 /* ? */

/** Decode `%XX` escapes (UTF-8); throws on a malformed escape (C++ `percentDecode`). */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s
  if (!validChars(s, () => true)) throw new BadStoreReferenceError(`invalid URI parameter '${s}': bad percent-encoding`)
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') { bytes.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2 } else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b)
  }
  return Buffer.from(bytes).toString('utf8')
}

/** Encode every byte that is not unreserved and not in `keep` as `%XX` (C++ `percentEncode`). */
export function percentEncode(s: string, keep = ''): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    out += isUnreserved(b) || keep.includes(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Escape the given characters only (C++ `percentEncodeCharSet`), for lenient parsing. */
function escapeSome(s: string, chars: string): string {
  let out = ''
  for (const ch of s) out += chars.includes(ch) ? percentEncode(ch) : ch
  return out
}

/** `a=b&c=d` → map; lenient accepts raw spaces and quotes (C++ `decodeQuery`). */
export function decodeQuery(query: string, lenient = false): Map<string, string> {
  const q = lenient ? escapeSome(query, ' "') : query
  if (!validChars(q, queryChar)) throw new BadStoreReferenceError(`invalid URI query '${query}'`)
  const res = new Map<string, string>()
  if (q === '') return res
  for (const part of q.split('&')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue // C++ warns "dubious URI query … is missing equal sign" and ignores it
    const k = percentDecode(part.slice(0, eq))
    if (!res.has(k)) res.set(k, percentDecode(part.slice(eq + 1)))
  }
  return res
}

/** Keys in sorted order (C++ `StringMap` is a `std::map`), `:@/?` left unescaped (C++ `encodeQuery`). */
export function encodeQuery(params: ReadonlyMap<string, string>): string {
  return [...params.keys()].sort(byteOrder).map(k => `${percentEncode(k, ':@/?')}=${percentEncode(params.get(k)!, ':@/?')}`).join('&')
}

/** `std::string` comparison order (UTF-16 order agrees with it for the BMP, enough here). */
export function byteOrder(a: string, b: string): number { return a < b ? -1 : a > b ? 1 : 0 }

function isDecOctet(s: string): boolean {
  return /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/.test(s)
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.')
  return parts.length === 4 && parts.every(isDecOctet)
}

/** RFC 3986 `IPv6address` (with an optional embedded IPv4 tail). */
export function isIPv6(s: string): boolean {
  let groups: string[]
  const dbl = s.indexOf('::')
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false
  const tailOk = (parts: string[], max: number): boolean => {
    let n = 0
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (i === parts.length - 1 && p.includes('.')) {
        if (!isIPv4(p)) return false
        n += 2
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) n += 1
      else return false
    }
    return dbl >= 0 ? n <= max : n === max
  }
  if (dbl >= 0) {
    const left = s.slice(0, dbl)
    const right = s.slice(dbl + 2)
    const l = left === '' ? [] : left.split(':')
    const r = right === '' ? [] : right.split(':')
    if (l.some(p => p.includes('.'))) return false
    groups = [...l, ...r]
    return tailOk(groups, 7)
  }
  return tailOk(s.split(':'), 8)
}

/** Parse `[user[:password]@]host[:port]` (C++ `ParsedURL::Authority::parse`). */
export function parseAuthority(a: string): Authority {
  const bad = (why: string): never => { throw new BadStoreReferenceError(`invalid URL authority: '${a}': ${why}`) }
  let rest = a
  let user: string | undefined
  let password: string | undefined
  const at = rest.lastIndexOf('@')
  if (at >= 0) {
    const userinfo = rest.slice(0, at)
    if (!validChars(userinfo, c => isUnreserved(c) || isSubDelim(c) || c === 58)) bad('bad userinfo')
    const colon = userinfo.indexOf(':')
    user = percentDecode(colon < 0 ? userinfo : userinfo.slice(0, colon))
    if (colon >= 0) password = percentDecode(userinfo.slice(colon + 1))
    rest = rest.slice(at + 1)
  }
  let hostType: HostType
  let host: string
  let portStr: string | undefined
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) bad('unterminated IP literal')
    const lit = rest.slice(1, close)
    const after = rest.slice(close + 1)
    if (after !== '') {
      if (!after.startsWith(':')) bad('leftover')
      portStr = after.slice(1)
    }
    if (/^[vV][0-9A-Fa-f]+\./.test(lit)) {
      if (!validChars(lit.slice(lit.indexOf('.') + 1), c => isUnreserved(c) || isSubDelim(c) || c === 58) || lit.includes('%')) bad('bad IPvFuture')
      hostType = 'ipvfuture'
      host = lit
    } else {
      const pct = lit.indexOf('%25')
      const addr = pct < 0 ? lit : lit.slice(0, pct)
      if (!isIPv6(addr)) bad('bad IPv6 address')
      hostType = 'ipv6'
      host = addr
      if (pct >= 0) {
        const zone = lit.slice(pct + 3)
        if (zone === '' || !validChars(zone, isUnreserved)) bad('bad zone id')
        host += '%' + percentDecode(zone)
      }
    }
  } else {
    const colon = rest.indexOf(':')
    const h = colon < 0 ? rest : rest.slice(0, colon)
    if (colon >= 0) portStr = rest.slice(colon + 1)
    if (!validChars(h, c => isUnreserved(c) || isSubDelim(c))) bad('leftover')
    hostType = isIPv4(h) ? 'ipv4' : 'name'
    host = percentDecode(h)
  }
  let port: number | undefined
  if (portStr !== undefined && portStr !== '') {
    if (!/^\d+$/.test(portStr)) bad('leftover')
    port = Number(portStr)
    if (port === 0 || port > 65535) throw new BadStoreReferenceError(`port '${portStr}' is invalid`)
  }
  return { hostType, host, user, password, port }
}

/** Print an authority as C++ `operator<<(ostream, Authority)` does. */
export function renderAuthority(a: Authority): string {
  let s = ''
  if (a.user !== undefined) {
    s += percentEncode(a.user)
    if (a.password !== undefined) s += ':' + percentEncode(a.password)
    s += '@'
  }
  switch (a.hostType) {
    case 'name': s += percentEncode(a.host); break
    case 'ipv4': s += a.host; break
    case 'ipv6':
    case 'ipvfuture': s += '[' + percentEncode(a.host, ':') + ']'
  }
  if (a.port !== undefined) s += ':' + a.port
  return s
}

/** Path segments re-encoded, keeping `:` and `@` (C++ `encodeUrlPath`). */
export function encodeUrlPath(path: readonly string[]): string {
  return path.map(p => percentEncode(p, ':@')).join('/')
}

/** Authority (if any) then path, as C++ `ParsedURL::renderAuthorityAndPath`. */
export function renderAuthorityAndPath(u: ParsedURL): string {
  return (u.authority ? renderAuthority(u.authority) : '') + encodeUrlPath(u.path)
}

/**
 * Parse an absolute URI (C++ `parseURL`). Throws BadStoreReferenceError when it has no scheme or
 * any part is malformed.
 */
export function parseURL(url: string, lenient = false): ParsedURL {
  let s = url
  if (lenient) {
    const q = s.indexOf('?')
    if (q >= 0) {
      const h = s.indexOf('#', q)
      const query = h < 0 ? s.slice(q + 1) : s.slice(q + 1, h)
      s = s.slice(0, q + 1) + escapeSome(query, ' "') + (h < 0 ? '' : s.slice(h))
    }
    const h = s.indexOf('#')
    if (h >= 0) s = s.slice(0, h + 1) + escapeSome(s.slice(h + 1), ' "^')
  }
  const bad = (why: string): never => { throw new BadStoreReferenceError(`'${url}' is not a valid URL: ${why}`) }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s)
  if (!m) throw new BadStoreReferenceError(`'${url}' doesn't have a scheme`)
  const scheme = m[1]!
  let rest = s.slice(m[0].length)
  let fragment = ''
  const hash = rest.indexOf('#')
  if (hash >= 0) {
    const f = rest.slice(hash + 1)
    if (!validChars(f, queryChar)) bad('bad fragment')
    fragment = percentDecode(f)
    rest = rest.slice(0, hash)
  }
  let rawQuery: string | undefined
  const qm = rest.indexOf('?')
  if (qm >= 0) {
    rawQuery = rest.slice(qm + 1)
    rest = rest.slice(0, qm)
  }
  let authority: Authority | undefined
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    const auth = slash < 0 ? rest.slice(2) : rest.slice(2, slash)
    rest = slash < 0 ? '' : rest.slice(slash)
    authority = parseAuthority(auth)
  }
  if (!validChars(rest, c => pchar(c) || c === 47)) bad('bad path')
  const transportIsFile = scheme.slice(scheme.indexOf('+') + 1) === 'file'
  if (authority && authority.host !== '' && transportIsFile)
    throw new BadStoreReferenceError(`file:// URL '${url}' has unexpected authority '${renderAuthority(authority)}'`)
  if (transportIsFile && rest === '') rest = '/'
  const path = rest === '' ? [] : rest.split('/').map(percentDecode)
  const query = rawQuery === undefined ? new Map<string, string>() : decodeQuery(rawQuery, lenient)
  return { scheme, authority, path, query, fragment }
}
