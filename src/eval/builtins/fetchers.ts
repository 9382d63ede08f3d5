/**
 * Fetchers (C++ primops/fetchTree.cc): `fetchurl`, `fetchTarball`, `fetchGit`, `fetchTree`
 * (types `path`, `file`, `tarball`, `git`), and `fetchMercurial`/`fetchClosure` refusals
 * (`fetchClosure` only under its experimental feature, as C++ registers it).
 *
 * Argument handling, names, hash checks and the returned attributes are done here; getting the
 * bytes (downloads, unpacking archives, Git checkouts) goes through the injected
 * `EvalIO.fetch`, and what was fetched is added to the store with `EvalStoreIO.addSourcePath`
 * — even in read-only mode, as C++ does (so `dummy://` refuses it with C++'s message).
 */
import { checkName, makeFixedOutputPath, type NixHash, NixHash as Hash } from '../../store-path/index.js'
import { EvalError, NixTypeError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { attrsSymbolOrder } from '../eval-state.js'
import type { EvalFetchIO, GitFetchResult } from '../io.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, type ContextElem, NixPath, NixString, type Value, showType } from '../value.js'
import type { BuiltinGroup } from './registry.js'
import { storePathString } from './store-paths.js'
import { isValidPath, newHashAllowEmpty, requireFeature, storeSession } from './store-common.js'

function fetchIO(st: EvalState): EvalFetchIO {
  const f = st.io.fetch
  if (f === undefined) throw new EvalError('fetching is not supported by this evaluator (no fetch IO)')
  return f
}

function addFetched(st: EvalState, path: string, name: string, method: 'nar' | 'flat'): { path: string; narHash: NixHash } {
  const store = st.io.store
  if (store?.addSourcePathWithHash === undefined) throw new EvalError("operation 'addToStore' is not supported by store 'dummy://'")
  return store.addSourcePathWithHash({ path, name, method, force: true })
}

/** C++ libutil `baseNameOf` on a URL string: after the last `/`, ignoring one trailing `/`. */
function urlBaseName(url: string): string {
  if (url === '') return ''
  let last = url.length - 1
  if (url[last] === '/' && last > 0) last--
  const i = url.lastIndexOf('/', last)
  return url.slice(i + 1, last + 1)
}

/** C++ `EvalSettings::resolvePseudoUrl`: `channel:x` → the channel's nixexprs tarball. */
function resolvePseudoUrl(url: string): string {
  if (url.startsWith('channel:')) return `https://channels.nixos.org/${url.slice('channel:'.length)}/nixexprs.tar.xz`
  return url
}

function sha256OfFile(st: EvalState, path: string): NixHash {
  return Hash.of('sha256', st.io.readFile(path))
}

/** C++ fetchTree.cc `fetch`: fetchurl and fetchTarball. */
function fetch(st: EvalState, pos: PosIdx, args: Value[], who: 'fetchurl' | 'fetchTarball', unpack: boolean, defaultName: string): Value {
  let url: string | undefined
  let expectedHash: NixHash | undefined
  let name = defaultName
  const v = st.force(args[0]!, pos)
  const isArgAttrs = v instanceof Attrs
  let nameAttrPassed = false
  if (v instanceof Attrs) {
    for (const n of attrsSymbolOrder(st, v)) {
      const av = v.get(n)!
      const apos = v.posOf(n)
      if (n === 'url') url = st.forceStringNoCtx(av, apos, 'while evaluating the url we should fetch')
      else if (n === 'sha256') expectedHash = newHashAllowEmpty(st, st.forceStringNoCtx(av, apos, 'while evaluating the sha256 of the content we should fetch'), 'sha256')
      else if (n === 'name') {
        nameAttrPassed = true
        name = st.forceStringNoCtx(av, apos, 'while evaluating the name of the content we should fetch')
      } else throw new EvalError(`unsupported argument '${n}' to '${who}'`, pos)
    }
    if (url === undefined) throw new EvalError("'url' argument required", pos)
  } else {
    url = st.forceStringNoCtx(v, pos, 'while evaluating the url we should fetch')
  }
  if (who === 'fetchTarball') url = resolvePseudoUrl(url)
  if (name === '') name = urlBaseName(url)
  try {
    checkName(name)
  } catch (e) {
    const resolution = nameAttrPassed
      ? `Please change the value for the 'name' attribute passed to '${who}', so that it can create a valid store path.`
      : isArgAttrs
        ? `Please add a valid 'name' attribute to the argument for '${who}', so that it can create a valid store path.`
        : `Please pass an attribute set with 'url' and 'name' attributes to '${who}',  so that it can create a valid store path.`
    throw new EvalError(`invalid store path name when fetching URL '${url}': ${(e as Error).message}. ${resolution}`, pos)
  }
  if (st.settings.pureEval && expectedHash === undefined) throw new EvalError(`in pure evaluation mode, '${who}' requires a 'sha256' argument`, pos)

  const session = storeSession(st)
  if (expectedHash !== undefined && expectedHash.algo === 'sha256') {
    const expected = session.storeDir.print(makeFixedOutputPath(session.binaryNames, name, unpack ? 'nar' : 'flat', expectedHash))
    if (isValidPath(st, expected)) return storePathString(expected)
  }

  const io = fetchIO(st)
  const file = io.download(url)
  let unpacked: string | undefined
  try {
    let stored: { path: string; narHash: NixHash }
    if (unpack) {
      st.io.writeStderr(`unpacking '${url}' into the Git cache...\n`)
      unpacked = io.unpack(file.path, url).root
      stored = addFetched(st, unpacked, name, 'nar')
    } else {
      stored = addFetched(st, file.path, name, 'flat')
    }
    if (expectedHash !== undefined) {
      const got = unpack ? stored.narHash : sha256OfFile(st, file.path)
      if (!got.equals(expectedHash)) {
        throw new HashMismatchError(`hash mismatch in file downloaded from '${url}':\n  specified: ${expectedHash.format('nix32')}\n  got:       ${got.format('nix32')}`)
      }
    }
    return storePathString(stored.path)
  } finally {
    if (unpacked !== undefined) io.remove(unpacked)
    if (file.temporary) io.remove(file.path)
  }
}

// ---- fetchTree / fetchGit ---------------------------------------------------------------------

type InputAttr = string | boolean | bigint
type InputAttrs = Map<string, InputAttr>

interface FetchTreeParams {
  readonly emptyRevFallback: boolean
  readonly allowNameArgument: boolean
  readonly isFetchGit: boolean
}

/** C++ `fixGitURL`: scp-like `user@host:path` → ssh://, plain paths → file://. */
function fixGitURL(url: string): string {
  const scp = /^([^/]*)@(.*):(.*)$/.exec(url)
  if (!url.startsWith('/') && scp) return `ssh://${scp[1]}@${scp[2]}/${scp[3]}`
  if (url.startsWith('file:')) return url
  if (!url.includes('://')) return `file://${url}`
  return url
}

/** The date of `lastModified` as C++ prints it: `%Y%m%d%H%M%S` in UTC. */
function lastModifiedDate(t: number): string {
  const d = new Date(t * 1000)
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
}

const ZERO_REV = '0'.repeat(40)

interface TreeResult {
  readonly storePath: string
  readonly narHash: NixHash
  readonly type: string
  readonly submodules?: boolean
  readonly rev?: string | undefined
  readonly revCount?: number | undefined
  readonly lastModified?: number | undefined
  readonly dirtyRev?: string | undefined
}

/** C++ `emitTreeAttrs`. */
function emitTreeAttrs(r: TreeResult, emptyRevFallback: boolean): Attrs {
  const m = new Map<string, Value>()
  m.set('outPath', storePathString(r.storePath))
  m.set('narHash', r.narHash.toSRI())
  if (r.type === 'git') m.set('submodules', r.submodules ?? false)
  if (r.rev !== undefined) {
    m.set('rev', r.rev)
    m.set('shortRev', r.rev.slice(0, 7))
  } else if (emptyRevFallback) {
    m.set('rev', ZERO_REV)
    m.set('shortRev', ZERO_REV.slice(0, 7))
  }
  if (r.revCount !== undefined) m.set('revCount', r.revCount)
  else if (emptyRevFallback) m.set('revCount', 0)
  if (r.dirtyRev !== undefined) {
    m.set('dirtyRev', r.dirtyRev)
    m.set('dirtyShortRev', `${r.dirtyRev.slice(0, 7)}-dirty`)
  }
  if (r.lastModified !== undefined) {
    m.set('lastModified', r.lastModified)
    m.set('lastModifiedDate', lastModifiedDate(r.lastModified))
  }
  return new Attrs(m)
}

function strAttr(a: InputAttrs, k: string): string | undefined {
  const v = a.get(k)
  return typeof v === 'string' ? v : undefined
}
function boolAttr(a: InputAttrs, k: string): boolean | undefined {
  const v = a.get(k)
  return typeof v === 'boolean' ? v : undefined
}

/** Input attributes from a URL-like reference (C++ `Input::fromURL`, the common forms only). */
function inputFromURL(url: string): InputAttrs {
  const a: InputAttrs = new Map()
  const m = /^([a-z0-9+.-]+):(.*)$/i.exec(url)
  if (!m) throw new EvalError(`'${url}' is not a valid URL`)
  let scheme = m[1]!.toLowerCase()
  let rest = m[2]!
  let type: string | undefined
  const plus = scheme.indexOf('+')
  if (plus > 0) { type = scheme.slice(0, plus); scheme = scheme.slice(plus + 1) }
  const fullUrl = `${scheme}:${rest}`
  const isArchive = /\.(zip|tar|tgz|tar\.gz|tar\.xz|tar\.bz2|tar\.zst)$/.test(rest.replace(/[?#].*$/, ''))
  if (type === undefined) {
    if (scheme === 'path') type = 'path'
    else if (scheme === 'file' || scheme === 'http' || scheme === 'https') type = isArchive ? 'tarball' : 'file'
    else if (scheme === 'git') type = 'git'
    else throw new EvalError(`input '${url}' is unsupported`)
  }
  if ((type === 'tarball' || type === 'file') && scheme === 'file' && !rest.startsWith('/')) {
    const e = new EvalError(`${type} '${url}' must use an absolute path. The 'file' scheme does not support relative paths.`)
    e.addTrace(noPos, `while fetching the input '${url}'`)
    throw e
  }
  a.set('type', type)
  if (type === 'path') {
    rest = rest.replace(/^\/\//, '')
    a.set('path', decodeURIComponent(rest.replace(/[?#].*$/, '')))
  } else {
    a.set('url', type === 'git' ? fixGitURL(fullUrl) : fullUrl)
  }
  return a
}

function fetchTree(st: EvalState, pos: PosIdx, args: Value[], params: FetchTreeParams): Value {
  const fetcher = params.isFetchGit ? 'fetchGit' : 'fetchTree'
  let type: string | undefined = params.isFetchGit ? 'git' : undefined
  const context = new Set<ContextElem>()
  const v = st.force(args[0]!, pos)
  let attrs: InputAttrs
  if (v instanceof Attrs) {
    const aType = v.get('type')
    if (aType !== undefined) {
      if (type !== undefined) throw new EvalError("unexpected argument 'type'", pos)
      type = st.forceStringNoCtx(aType, v.posOf('type'), `while evaluating the \`type\` argument passed to '${fetcher}'`)
    } else if (type === undefined) throw new EvalError(`argument 'type' is missing in call to '${fetcher}'`, pos)
    attrs = new Map([['type', type]])
    for (const n of attrsSymbolOrder(st, v)) {
      if (n === 'type') continue
      const av = st.force(v.get(n)!, v.posOf(n))
      if (av instanceof NixPath || typeof av === 'string' || av instanceof NixString) {
        const s = st.coerceToString(v.posOf(n), av, context, '', false, false)
        attrs.set(n, params.isFetchGit && n === 'url' ? fixGitURL(s) : s)
      } else if (typeof av === 'boolean') attrs.set(n, av)
      else if (typeof av === 'number' || typeof av === 'bigint') {
        if (av < 0) throw new EvalError(`negative value given for '${fetcher}' argument '${n}': ${av}`, pos)
        attrs.set(n, BigInt(av))
      } else if (n === 'publicKeys') {
        requireFeature(st, 'verified-fetches')
      } else {
        throw new NixTypeError(`argument '${n}' to '${fetcher}' is ${showType(av)} while a string, Boolean or integer is expected`)
      }
    }
    if (params.isFetchGit && !attrs.has('exportIgnore') && boolAttr(attrs, 'submodules') !== true) attrs.set('exportIgnore', true)
    if (type === 'git' && !params.isFetchGit && !attrs.has('shallow')) attrs.set('shallow', true)
    if (!params.allowNameArgument && attrs.has('name')) throw new EvalError(`argument 'name' isn\xe2\x80\x99t supported in call to '${fetcher}'`, pos)
  } else {
    const url = st.coerceToString(pos, v, context, `while evaluating the first argument passed to '${fetcher}'`, false, false)
    if (params.isFetchGit) {
      attrs = new Map<string, InputAttr>([['type', 'git'], ['url', fixGitURL(url)], ['exportIgnore', true]])
    } else {
      if (!st.settings.experimentalFeatures.has('flakes')) throw new EvalError(`passing a string argument to '${fetcher}' requires the 'flakes' experimental feature`, pos)
      attrs = inputFromURL(url)
    }
  }
  const input = attrs
  checkInputAttrs(input)
  if (st.settings.pureEval && !isLocked(input)) {
    throw new EvalError(`in pure evaluation mode, '${fetcher}' doesn't fetch unlocked input '${describeInput(input)}'`, pos)
  }
  let r: TreeResult
  try {
    r = fetchInput(st, input, params)
  } catch (e) {
    throw fetchingInput(input, e)
  }
  const wantNar = strAttr(input, 'narHash')
  if (wantNar !== undefined) {
    const want = Hash.parseAny(wantNar, 'sha256')
    if (!want.equals(r.narHash)) {
      throw new HashMismatchError(`NAR hash mismatch in input '${describeInput(input)}', expected '${want.toSRI()}' but got '${r.narHash.toSRI()}'`)
    }
  }
  return emitTreeAttrs(r, params.emptyRevFallback)
}

/** The attributes each input scheme accepts (C++ `InputScheme::allowedAttrs`). */
const ALLOWED_ATTRS: Record<string, readonly string[]> = {
  path: ['type', 'path', 'rev', 'revCount', 'lastModified', 'narHash'],
  file: ['type', 'url', 'narHash', 'name', 'unpack', 'rev', 'revCount', 'lastModified'],
  tarball: ['type', 'url', 'narHash', 'name', 'unpack', 'rev', 'revCount', 'lastModified'],
  git: ['type', 'url', 'ref', 'rev', 'shallow', 'submodules', 'lfs', 'exportIgnore', 'lastModified', 'revCount', 'narHash', 'allRefs', 'name', 'dirtyRev', 'dirtyShortRev', 'verifyCommit', 'keytype', 'publicKey', 'publicKeys'],
}

function attrsJson(a: InputAttrs): string {
  const o: Record<string, string | boolean | number> = {}
  for (const k of [...a.keys()].sort()) { const v = a.get(k)!; o[k] = typeof v === 'bigint' ? Number(v) : v }
  return JSON.stringify(o)
}

/** C++ `Input::fromAttrs` checks: a known type, its required and allowed attributes. */
function checkInputAttrs(a: InputAttrs): void {
  const type = strAttr(a, 'type')!
  const allowed = ALLOWED_ATTRS[type]
  if (allowed === undefined) throw new EvalError(`cannot show unsupported input '${attrsJson(a)}'`)
  for (const k of a.keys()) if (!allowed.includes(k)) throw new EvalError(`input attribute '${k}' not supported by scheme '${type}'`)
  const required = type === 'path' ? 'path' : 'url'
  if (!a.has(required)) throw new EvalError(`input attribute '${required}' is missing`)
  const rev = strAttr(a, 'rev')
  if (type === 'git' && rev !== undefined && !/^[0-9a-f]{40}$/.test(rev)) {
    try { Hash.parseAny(rev, 'sha1') } catch (e) { throw new EvalError((e as Error).message) }
  }
}

function isLocked(a: InputAttrs): boolean {
  const t = strAttr(a, 'type')
  if (t === 'git') return strAttr(a, 'rev') !== undefined
  return strAttr(a, 'narHash') !== undefined
}

/** C++ `Input::to_string`: the URL form, other attributes as a sorted query. */
function describeInput(a: InputAttrs): string {
  const t = strAttr(a, 'type')
  const query = [...a.keys()].filter(k => k !== 'type' && k !== 'url' && k !== 'path').sort()
    .map(k => { const v = a.get(k)!; return `${k}=${typeof v === 'boolean' ? (v ? '1' : '0') : queryEncode(String(v))}` })
  const q = query.length > 0 ? `?${query.join('&')}` : ''
  if (t === 'path') return `path:${strAttr(a, 'path') ?? ''}${q}`
  const url = strAttr(a, 'url') ?? ''
  return t === 'git' ? `git+${url}${q}` : `${url}${q}`
}

/** C++ `percentEncode` for query values: `/`, `:` and `@` stay as they are. */
function queryEncode(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/').replace(/%3A/g, ':').replace(/%40/g, '@')
}

/** Hash mismatches exit with status 102, as C++ (`withExitStatus(102)`). */
class HashMismatchError extends EvalError {
  readonly exitStatus = 102
}

function fetchingInput(a: InputAttrs, e: unknown): unknown {
  if (e instanceof EvalError) e.addTrace(noPos, `while fetching the input '${describeInput(a)}'`)
  return e
}

function fetchInput(st: EvalState, a: InputAttrs, params: FetchTreeParams): TreeResult {
  const type = strAttr(a, 'type')!
  const io = fetchIO(st)
  const name = strAttr(a, 'name') ?? 'source'
  switch (type) {
    case 'path': {
      const path = strAttr(a, 'path')
      if (path === undefined) throw new EvalError("input attribute 'path' is missing")
      if (!path.startsWith('/')) throw new EvalError(`cannot fetch input '${describeInput(a)}' because it uses a relative path`)
      const stored = addFetched(st, path, name, 'nar')
      const lm = a.get('lastModified')
      return { storePath: stored.path, narHash: stored.narHash, type, lastModified: typeof lm === 'bigint' ? Number(lm) : io.lastModified(path) }
    }
    case 'file':
    case 'tarball': {
      const url = strAttr(a, 'url')
      if (url === undefined) throw new EvalError(`missing 'url' attribute in input of type '${type}'`)
      const file = io.download(url)
      let unpacked: { root: string; lastModified: number } | undefined
      try {
        if (type === 'file') {
          // fetchTree adds plain files NAR-hashed (unlike fetchurl's flat paths)
          const stored = addFetched(st, file.path, name, 'nar')
          return { storePath: stored.path, narHash: stored.narHash, type }
        }
        st.io.writeStderr(`unpacking '${url}' into the Git cache...\n`)
        unpacked = io.unpack(file.path, url)
        const stored = addFetched(st, unpacked.root, name, 'nar')
        return { storePath: stored.path, narHash: stored.narHash, type, lastModified: unpacked.lastModified }
      } finally {
        if (unpacked !== undefined) io.remove(unpacked.root)
        if (file.temporary) io.remove(file.path)
      }
    }
    case 'git': {
      const url = strAttr(a, 'url')
      if (url === undefined) throw new EvalError("missing 'url' attribute in input of type 'git'")
      const rev = strAttr(a, 'rev')
      let g: GitFetchResult
      try {
        g = io.git({
          url,
          ref: strAttr(a, 'ref'),
          rev,
          submodules: boolAttr(a, 'submodules') ?? false,
          shallow: boolAttr(a, 'shallow') ?? false,
          allRefs: boolAttr(a, 'allRefs') ?? false,
          exportIgnore: boolAttr(a, 'exportIgnore') ?? false,
        })
      } catch (e) {
        if (e instanceof EvalError) throw e
        throw new EvalError((e as Error).message)
      }
      try {
        if (g.dirtyRev !== undefined) st.warn(`Git tree '${url.replace(/^file:\/\//, '')}' is dirty`)
        const stored = addFetched(st, g.root, name, 'nar')
        const shallow = boolAttr(a, 'shallow') ?? false
        const lm = a.get('lastModified')
        const rc = a.get('revCount')
        return {
          storePath: stored.path, narHash: stored.narHash, type, submodules: boolAttr(a, 'submodules') ?? false,
          rev: g.rev, dirtyRev: g.dirtyRev,
          revCount: typeof rc === 'bigint' ? Number(rc) : shallow || g.rev === undefined ? undefined : g.revCount,
          lastModified: typeof lm === 'bigint' ? Number(lm) : g.lastModified,
        }
      } finally {
        io.remove(g.root)
      }
    }
    default:
      void params
      throw new EvalError(`input type '${type}' is not supported by this evaluator`)
  }
}

function prim_fetchTree(st: EvalState, args: Value[], pos: PosIdx): Value {
  return fetchTree(st, pos, args, { emptyRevFallback: false, allowNameArgument: false, isFetchGit: false })
}

export const fetcherBuiltins: BuiltinGroup = {
  name: 'fetchers',
  primops: [
    { name: '__fetchurl', arity: 1, args: ['arg'], impl: (st, args, pos) => fetch(st, pos, args, 'fetchurl', false, '') },
    { name: 'fetchTarball', arity: 1, args: ['args'], impl: (st, args, pos) => fetch(st, pos, args, 'fetchTarball', true, 'source') },
    {
      name: 'fetchGit', arity: 1, args: ['args'],
      impl: (st, args, pos) => fetchTree(st, pos, args, { emptyRevFallback: true, allowNameArgument: true, isFetchGit: true }),
    },
    // `fetch-tree`, and `flakes` which implies it (a second registration of the same name)
    { name: 'fetchTree', arity: 1, args: ['input'], experimentalFeature: 'fetch-tree', impl: prim_fetchTree },
    { name: 'fetchTree', arity: 1, args: ['input'], experimentalFeature: 'flakes', impl: prim_fetchTree },
    {
      name: 'fetchMercurial', arity: 1, args: ['args'],
      impl: () => { throw new EvalError('fetchMercurial is not supported by this evaluator') },
    },
    {
      // copying closures from binary caches needs a substituter client (not here yet)
      name: '__fetchClosure', arity: 1, args: ['args'], experimentalFeature: 'fetch-closure',
      impl: () => { throw new EvalError('builtins.fetchClosure is not supported by this evaluator yet') },
    },
  ],
}
