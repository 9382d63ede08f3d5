/**
 * Store references: the `--store` / `store =` strings (C++ `StoreReference`, 2.34
 * libstore/store-reference.cc):
 *
 *   auto, "" ............ the default store              → { kind: 'auto' }
 *   daemon, local ....... without parameters             → { kind: 'daemon' } / { kind: 'local' }
 *   daemon?k=v .......... with parameters                → unix:// with params
 *   local?root=/r ....... with parameters                → local:// with params
 *   /some/path[?k=v] .... a path (contains `/`, no `://`) → local://<absolute path>
 *   scheme://authority/path?k=v                          → { kind: 'specified', scheme, authority }
 *   ssh://user@fe80::1%eth0 ... Nix's shim for unbracketed IPv6 hosts → ssh://user@[fe80::1%25eth0]
 *
 * `authority` is the authority and path as C++ re-renders them (`renderAuthorityAndPath`), and
 * printing always writes `scheme://` (as 2.34 does, so `file:/x` prints as `file:///x`).
 */
import { BadStoreReferenceError } from './errors.js'
import { canonPath } from './store-path.js'
import { decodeQuery, encodeQuery, isIPv6, parseURL, renderAuthorityAndPath } from './url.js'

export type StoreReferenceVariant =
  | { readonly kind: 'auto' }
  | { readonly kind: 'daemon' }
  | { readonly kind: 'local' }
  | { readonly kind: 'specified'; readonly scheme: string; readonly authority: string }

export interface StoreReference {
  readonly variant: StoreReferenceVariant
  /** Store settings given in the query (`?root=/x&trusted=true`). */
  readonly params: ReadonlyMap<string, string>
}

export interface ParseStoreReferenceOptions {
  /** Parameters given outside the URI; they win over the URI's own. */
  extraParams?: ReadonlyMap<string, string>
  /** Base for relative paths such as `./store` (default: the process's working directory). */
  cwd?: string
}

function merge(extra: ReadonlyMap<string, string> | undefined, uriParams: ReadonlyMap<string, string>): Map<string, string> {
  const params = new Map(extra ?? [])
  for (const [k, v] of uriParams) if (!params.has(k)) params.set(k, v)
  return params
}

/** Not a URL, and has a `/` (so not a word like `auto`) (C++ `isNonUriPath`). */
function isNonUriPath(s: string): boolean {
  return !s.includes('://') && s.includes('/')
}

/** Parse a store URI (C++ `StoreReference::parse`). Throws BadStoreReferenceError. */
export function parseStoreReference(uri: string, opts: ParseStoreReferenceOptions = {}): StoreReference {
  let url
  try {
    url = parseURL(uri, true)
  } catch (e) {
    if (!(e instanceof BadStoreReferenceError)) throw e
  }
  if (url) {
    return {
      variant: { kind: 'specified', scheme: url.scheme, authority: renderAuthorityAndPath(url) },
      params: merge(opts.extraParams, url.query),
    }
  }

  const q = uri.indexOf('?')
  const base = q < 0 ? uri : uri.slice(0, q)
  const params = merge(opts.extraParams, q < 0 ? new Map() : decodeQuery(uri.slice(q + 1), true))

  if (base === '' || base === 'auto') return { variant: { kind: 'auto' }, params }
  if (base === 'daemon') {
    return params.size === 0 ? { variant: { kind: 'daemon' }, params } : { variant: { kind: 'specified', scheme: 'unix', authority: '' }, params }
  }
  if (base === 'local') {
    return params.size === 0 ? { variant: { kind: 'local' }, params } : { variant: { kind: 'specified', scheme: 'local', authority: '' }, params }
  }
  if (isNonUriPath(base)) {
    const abs = base.startsWith('/') ? base : `${opts.cwd ?? process.cwd()}/${base}`
    return { variant: { kind: 'specified', scheme: 'local', authority: canonPath(abs) }, params }
  }

  // Older Nix accepted IPv6 hosts without brackets (and zone ids without %25): `ssh://::1`.
  const colon = base.indexOf(':')
  if (colon >= 0) {
    const scheme = base.slice(0, colon)
    let auth = base.slice(colon + 1)
    if (auth.startsWith('//')) auth = auth.slice(2)
    const at = auth.indexOf('@')
    const userinfo = at < 0 ? undefined : auth.slice(0, at)
    if (at >= 0) auth = auth.slice(at + 1)
    if (auth.startsWith('[') && auth.endsWith(']')) auth = auth.slice(1, -1)
    const pct = auth.indexOf('%')
    const addr = pct < 0 ? auth : auth.slice(0, pct)
    if (isIPv6(addr)) {
      const fixed = (userinfo !== undefined ? userinfo + '@' : '') + '[' + addr + (pct < 0 ? '' : '%25' + auth.slice(pct + 1)) + ']'
      return { variant: { kind: 'specified', scheme, authority: fixed }, params }
    }
  }

  throw new BadStoreReferenceError(`Cannot parse Nix store '${uri}'`)
}

/** Print a store reference (C++ `StoreReference::render`). */
export function renderStoreReference(ref: StoreReference, withParams = true): string {
  const v = ref.variant
  let s = v.kind === 'specified' ? `${v.scheme}://${v.authority}` : v.kind
  if (withParams && ref.params.size > 0) s += '?' + encodeQuery(ref.params)
  return s
}

export function storeReferenceEquals(a: StoreReference, b: StoreReference): boolean {
  const va = a.variant
  const vb = b.variant
  if (va.kind !== vb.kind) return false
  if (va.kind === 'specified' && vb.kind === 'specified' && (va.scheme !== vb.scheme || va.authority !== vb.authority)) return false
  if (a.params.size !== b.params.size) return false
  for (const [k, v] of a.params) if (b.params.get(k) !== v) return false
  return true
}
