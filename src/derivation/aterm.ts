/**
 * The ATerm form of a store derivation (the `.drv` file; C++ `parseDerivation`/`unparse`):
 *
 *   Derive([outputs],[inputDrvs],[inputSrcs],"system","builder",[args],[env])
 *   DrvWithVersion("xp-dyn-drv",[outputs],…)     only when an input has dynamic outputs
 *
 *   output    ("name","path","hashAlgo","hash")   hashAlgo is [r:|text:|git:]algo; hash base-16
 *   inputDrv  ("path",["out",…])                  or ("path",(["out"],[("out",<node>)…])) dynamic
 *
 * Store paths, output names, hash fields and the system are written verbatim ("unquoted");
 * the builder, args and environment are escaped: `\"` `\\` `\n` `\r` `\t`.
 *
 * Two parsing modes. By default the parser reads what C++ 2.34 reads, the way it reads it,
 * including non-canonical forms it rewrites on output: unsorted or repeated keys (outputs: first
 * wins; input derivations and environment: last wins; sets: union), escapes in every string
 * (`\x` is `x`, so a verbatim backslash in a path or the system is lost, as in C++), raw control
 * characters, hashes in nix32/base64, a fixed output path that does not match its content
 * address, `DrvWithVersion` without dynamic inputs, anything after the closing parenthesis.
 * With `strict: true` it accepts the canonical form only (what Nix writes; C++ master is about
 * this strict) and reads the verbatim fields verbatim, so that for every accepted input
 * `printDerivation(parseDerivation(x)) === x`. Both reject malformed syntax (C++ 2.34 also
 * tolerates missing commas in lists; we do not), bad store paths and bad hashes, with the offset.
 */
import {
  BadContentAddressError,
  BadHashError,
  type ContentAddressMethod,
  type HashAlgo,
  InvalidPathError,
  NixHash,
  parseHashAlgo,
  StoreDir,
  StorePath,
} from '../store-path/index.js'
import { DerivationParseError, InvalidDerivationError } from './errors.js'
import { compareUtf8 } from './order.js'
import { STRUCTURED_ATTRS_ENV, extractStructuredAttrs } from './structured-attrs.js'
import {
  type BasicDerivation,
  type Derivation,
  type DerivationOutput,
  type DerivedPathMapNode,
  fixedOutputPath,
  type InputDrv,
} from './types.js'

/** Largest `.drv` accepted, in bytes (the largest in nixpkgs are a few MiB). */
export const MAX_DRV_SIZE = 256 * 1024 * 1024
/** Deepest nesting of dynamic-derivation outputs accepted. */
export const MAX_DYNAMIC_DEPTH = 64

export const DYN_DRV_VERSION = 'xp-dyn-drv'

export interface ParseDerivationOptions {
  /** The derivation name (from its path, see `nameFromDrvPath`); the ATerm does not hold it. */
  readonly name: string
  readonly storeDir?: StoreDir
  /** Accept the canonical form only (see above). */
  readonly strict?: boolean
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Parse a `.drv` file. Throws DerivationParseError with the offset of the problem. */
export function parseDerivation(input: string | Uint8Array, opts: ParseDerivationOptions): Derivation {
  let text: string
  if (typeof input === 'string') {
    if (input.length > MAX_DRV_SIZE) throw new DerivationParseError(`derivation is larger than ${MAX_DRV_SIZE} bytes`, 0)
    text = input
  } else {
    if (input.length > MAX_DRV_SIZE) throw new DerivationParseError(`derivation is larger than ${MAX_DRV_SIZE} bytes (${input.length})`, 0)
    try {
      text = utf8.decode(input)
    } catch {
      throw new DerivationParseError('derivation is not valid UTF-8', firstInvalidUtf8(input))
    }
  }
  return new AtermParser(text, opts.storeDir ?? new StoreDir(), opts.name, opts.strict === true).derivation()
}

function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) {
    try { utf8.decode(b.subarray(0, i + 1), { stream: true }) } catch { return i }
  }
  return b.length
}

class AtermParser {
  private pos = 0
  constructor(private readonly s: string, private readonly storeDir: StoreDir, private readonly name: string, private readonly strict: boolean) {}

  private fail(msg: string, at = this.pos): never { throw new DerivationParseError(msg, at) }

  private expect(lit: string): void {
    if (!this.s.startsWith(lit, this.pos)) {
      const got = this.s.slice(this.pos, this.pos + Math.max(lit.length, 1))
      this.fail(`expected '${lit}', got ${got.length === 0 ? 'end of input' : JSON.stringify(got)}`)
    }
    this.pos += lit.length
  }

  /** A string written verbatim: no escapes allowed (C++ 2.34 reads it as an escaped one). */
  private unquoted(): string {
    if (!this.strict) return this.escaped()
    this.expect('"')
    const end = this.s.indexOf('"', this.pos)
    if (end < 0) this.fail('unterminated string')
    const v = this.s.slice(this.pos, end)
    const bs = v.indexOf('\\')
    if (bs >= 0) this.fail('unexpected escape sequence in a string that is written verbatim', this.pos + bs)
    this.pos = end + 1
    return v
  }

  // Next positions of the characters that end a run of plain string content, kept across
  // calls so that each search over the input happens once (indexOf per string would be
  // quadratic on files without backslashes).
  private nextQuote = -1
  private nextBackslash = -1
  private nextControl = -1

  private next(ch: string, cached: number, from: number): number {
    if (cached >= from || cached === Infinity) return cached
    const i = this.s.indexOf(ch, from)
    return i < 0 ? Infinity : i
  }

  private nextRawControl(from: number): number {
    if (this.nextControl >= from || this.nextControl === Infinity) return this.nextControl
    let best = Infinity
    for (const ch of ['\n', '\r', '\t']) {
      const i = this.s.indexOf(ch, from)
      if (i >= 0 && i < best) best = i
    }
    return best
  }

  /** An escaped string: `\"` `\\` `\n` `\r` `\t`, and (strict) those five characters only escaped. */
  private escaped(): string {
    this.expect('"')
    const s = this.s
    let out = ''
    let start = this.pos
    for (;;) {
      const q = this.nextQuote = this.next('"', this.nextQuote, start)
      const b = this.nextBackslash = this.next('\\', this.nextBackslash, start)
      if (this.strict) {
        const c = this.nextControl = this.nextRawControl(start)
        if (c < q && c < b) this.fail('raw newline, carriage return or tab in a string where it must be escaped', c)
      }
      if (q === Infinity) this.fail('unterminated string', s.length)
      if (q < b) {
        this.pos = q + 1
        return out === '' ? s.slice(start, q) : out + s.slice(start, q)
      }
      out += s.slice(start, b)
      const e = s[b + 1]
      if (e === 'n') out += '\n'
      else if (e === 'r') out += '\r'
      else if (e === 't') out += '\t'
      else if (e === '\\' || e === '"') out += e
      else if (e === undefined) this.fail('unterminated string', b)
      else if (this.strict) this.fail(`unknown escape '\\${e}'`, b)
      else out += e // C++ 2.34 takes the character itself
      start = b + 2
    }
  }

  /** `[item,item,…]`. */
  private list(item: () => void): void {
    this.expect('[')
    if (this.s[this.pos] === ']') { this.pos++; return }
    for (;;) {
      item()
      const c = this.s[this.pos]
      if (c === ']') { this.pos++; return }
      if (c !== ',') this.fail(`expected ',' or ']', got ${c === undefined ? 'end of input' : JSON.stringify(c)}`)
      this.pos++
    }
  }

  /** Keys of sets and maps must be strictly increasing in C++ order. */
  private checkOrder(prev: string | undefined, key: string, what: string, at: number): void {
    if (prev === undefined || !this.strict) return
    const c = compareUtf8(prev, key)
    if (c === 0) this.fail(`duplicate ${what} '${key}'`, at)
    if (c > 0) this.fail(`${what} '${key}' is not in sorted order (after '${prev}')`, at)
  }

  private storePath(s: string, at: number): StorePath {
    try {
      return parseStorePathField(this.storeDir, s, this.strict)
    } catch (e) {
      if (e instanceof InvalidPathError) this.fail(`bad store path in derivation: ${e.message}`, at)
      throw e
    }
  }

  private stringSet(): string[] {
    const out: string[] = []
    this.list(() => {
      const at = this.pos
      const v = this.unquoted()
      this.checkOrder(out[out.length - 1], v, 'set item', at)
      out.push(v)
    })
    return this.strict ? out : [...new Set(out)].sort(compareUtf8)
  }

  derivation(): Derivation {
    let dynamic = false
    if (this.s.startsWith('Derive(', this.pos)) this.pos += 7
    else if (this.s.startsWith('DrvWithVersion(', this.pos)) {
      this.pos += 15
      const at = this.pos
      const v = this.escaped()
      if (v !== DYN_DRV_VERSION) this.fail(`unknown derivation ATerm format version '${v}'`, at)
      dynamic = true
      this.expect(',')
    } else this.fail("derivation does not start with 'Derive' or 'DrvWithVersion'")

    const outputs = new Map<string, DerivationOutput>()
    let prev: string | undefined
    this.list(() => {
      this.expect('(')
      const at = this.pos
      const name = this.unquoted()
      this.checkOrder(prev, name, 'output name', at)
      prev = name
      this.expect(',')
      const pathAt = this.pos
      const path = this.unquoted()
      this.expect(',')
      const algo = this.unquoted()
      this.expect(',')
      const hash = this.unquoted()
      this.expect(')')
      const o = this.output(name, path, algo, hash, pathAt)
      if (!outputs.has(name)) outputs.set(name, o) // C++ emplace: the first one stays
    })

    this.expect(',')
    const inputDrvMap = new Map<string, InputDrv>()
    let prevDrv: string | undefined
    this.list(() => {
      this.expect('(')
      const at = this.pos
      const path = this.storePath(this.unquoted(), at)
      // C++ 2.34 reads any store path here; master (and strict) require a .drv
      if (this.strict && !path.isDerivation()) this.fail(`input derivation '${this.storeDir.print(path)}' is not a .drv path`, at)
      this.checkOrder(prevDrv, path.baseName, 'input derivation', at)
      prevDrv = path.baseName
      this.expect(',')
      const node = this.node(dynamic, 0)
      this.expect(')')
      inputDrvMap.delete(path.baseName) // C++ insert_or_assign: the last one stays
      inputDrvMap.set(path.baseName, { path, outputs: node.outputs, dynamicOutputs: node.dynamicOutputs })
    })
    const inputDrvs = this.strict ? [...inputDrvMap.values()] : [...inputDrvMap.keys()].sort(compareUtf8).map(k => inputDrvMap.get(k)!)

    this.expect(',')
    let inputSrcs: StorePath[] = []
    this.list(() => {
      const at = this.pos
      const p = this.storePath(this.unquoted(), at)
      this.checkOrder(inputSrcs[inputSrcs.length - 1]?.baseName, p.baseName, 'input source', at)
      inputSrcs.push(p)
    })
    if (!this.strict) {
      const m = new Map(inputSrcs.map(p => [p.baseName, p]))
      inputSrcs = [...m.keys()].sort(compareUtf8).map(k => m.get(k)!)
    }

    this.expect(',')
    const platform = this.unquoted()
    this.expect(',')
    const builder = this.escaped()
    this.expect(',')
    const args: string[] = []
    this.list(() => { args.push(this.escaped()) })
    this.expect(',')
    const rawEnv = new Map<string, string>()
    let prevKey: string | undefined
    this.list(() => {
      this.expect('(')
      const at = this.pos
      const k = this.escaped()
      this.checkOrder(prevKey, k, 'environment variable', at)
      prevKey = k
      this.expect(',')
      rawEnv.set(k, this.escaped())
      this.expect(')')
    })
    this.expect(')')
    if (this.strict && this.pos !== this.s.length) this.fail('expected end of derivation')
    // the versioned form is only written when needed, so anything else is not canonical
    if (this.strict && dynamic && !inputDrvs.some(d => d.dynamicOutputs.size > 0)) this.fail(`'DrvWithVersion' form without dynamic outputs`, 0)

    let env = rawEnv
    let structuredAttrs
    try {
      if (rawEnv.has(STRUCTURED_ATTRS_ENV)) ({ env, structuredAttrs } = extractStructuredAttrs(rawEnv))
    } catch (e) {
      if (e instanceof InvalidDerivationError) this.fail(e.message, 0)
      throw e
    }
    return { name: this.name, outputs, inputDrvs, inputSrcs, platform, builder, args, env, structuredAttrs }
  }

  private node(dynamic: boolean, depth: number): DerivedPathMapNode {
    if (depth > MAX_DYNAMIC_DEPTH) this.fail(`dynamic outputs nested deeper than ${MAX_DYNAMIC_DEPTH}`)
    const c = this.s[this.pos]
    if (c === '[') return { outputs: this.stringSet(), dynamicOutputs: new Map() }
    if (c === '(' && dynamic) {
      this.pos++
      const outputs = this.stringSet()
      this.expect(',')
      const children = new Map<string, DerivedPathMapNode>()
      let prev: string | undefined
      this.list(() => {
        this.expect('(')
        const at = this.pos
        const name = this.unquoted()
        this.checkOrder(prev, name, 'output name', at)
        prev = name
        this.expect(',')
        children.set(name, this.node(dynamic, depth + 1))
        this.expect(')')
      })
      this.expect(')')
      // `([…],[])` would print as `[…]`: not canonical
      if (children.size === 0 && this.strict) this.fail('dynamic outputs entry without dynamic outputs')
      return { outputs, dynamicOutputs: children }
    }
    this.fail(dynamic ? "invalid inputDrvs entry: expected '[' or '('" : "invalid inputDrvs entry: expected '['")
  }

  private output(name: string, pathS: string, algoS: string, hashS: string, at: number): DerivationOutput {
    try {
      return parseOutputFields(this.storeDir, this.name, name, pathS, algoS, hashS, this.strict)
    } catch (e) {
      if (e instanceof InvalidPathError) this.fail(`bad store path in derivation: ${e.message}`, at)
      if (e instanceof BadHashError || e instanceof BadContentAddressError || e instanceof InvalidPathError || e instanceof InvalidDerivationError) this.fail(e.message, at)
      throw e
    }
  }
}

/**
 * A store path as written in a derivation: `<storeDir>/<base>` exactly (the fast, canonical
 * case); otherwise, unless `strict`, canonicalised first as C++ 2.34's `parseStorePath` does.
 */
function parseStorePathField(storeDir: StoreDir, s: string, strict: boolean): StorePath {
  const dir = storeDir.path
  if (s.length > dir.length + 1 && s.startsWith(dir) && s.charCodeAt(dir.length) === 0x2f && s.indexOf('/', dir.length + 1) < 0) {
    return StorePath.fromBaseName(s.slice(dir.length + 1))
  }
  if (strict) throw new InvalidPathError(`path '${s}' is not a canonical store path in '${dir}'`)
  return storeDir.parse(s)
}

/**
 * An output from its three fields (path, `[r:|text:|git:]algo`, hash or `impure`), as the ATerm
 * and the worker protocol's BasicDerivation carry it (C++ `parseDerivationOutput`). Throws
 * InvalidDerivationError, InvalidPathError or BadHashError. `strict` also requires a base-16
 * hash and a fixed output path that matches the content address.
 */
export function parseOutputFields(
  storeDir: StoreDir, drvName: string, outputName: string, pathS: string, algoS: string, hashS: string, strict = false,
): DerivationOutput {
  if (algoS === '') {
    if (hashS !== '') throw new InvalidDerivationError('hash specified without hash algorithm')
    if (pathS === '') return { kind: 'deferred' }
    return { kind: 'inputAddressed', path: parseStorePathField(storeDir, pathS, strict) }
  }
  const { method, algo } = parseMethodAlgo(algoS)
  if (hashS === 'impure') {
    if (pathS !== '') throw new InvalidDerivationError('impure derivation output should not specify output path')
    return { kind: 'impure', method, hashAlgo: algo }
  }
  if (hashS === '') {
    if (pathS !== '') throw new InvalidDerivationError('content-addressing derivation output should not specify output path')
    return { kind: 'caFloating', method, hashAlgo: algo }
  }
  const path = parseStorePathField(storeDir, pathS, strict)
  const hash = NixHash.parseDigest(hashS, algo)
  if (strict && hash.toBase16() !== hashS) throw new InvalidDerivationError(`output hash '${hashS}' is not in canonical base-16 form`)
  const ca = { method, hash }
  // C++ 2.34 ignores the stated path (it prints the computed one); master rejects a mismatch
  if (strict && !fixedOutputPath(storeDir, drvName, outputName, ca).equals(path)) {
    throw new InvalidDerivationError(`derivation output '${outputName}' has path '${pathS}', which does not match its content address`)
  }
  return { kind: 'caFixed', ca }
}

/** The three fields of an output (C++ `unparse`/`writeDerivation`); `mask` blanks the path. */
export function printOutputFields(storeDir: StoreDir, drvName: string, outputName: string, o: DerivationOutput, mask = false): [string, string, string] {
  switch (o.kind) {
    case 'inputAddressed': return [mask ? '' : storeDir.print(o.path), '', '']
    case 'caFixed': return [mask ? '' : storeDir.print(fixedOutputPath(storeDir, drvName, outputName, o.ca)), printMethodAlgo(o.ca.method, o.ca.hash.algo), o.ca.hash.toBase16()]
    case 'caFloating': return ['', printMethodAlgo(o.method, o.hashAlgo), '']
    case 'deferred': return ['', '', '']
    case 'impure': return ['', printMethodAlgo(o.method, o.hashAlgo), 'impure']
  }
}

/** `r:sha256` → nar + sha256 (C++ `ContentAddressMethod::parsePrefix` + `parseHashAlgo`). */
export function parseMethodAlgo(s: string): { method: ContentAddressMethod; algo: HashAlgo } {
  let method: ContentAddressMethod = 'flat'
  let rest = s
  if (s.startsWith('r:')) { method = 'nar'; rest = s.slice(2) }
  else if (s.startsWith('text:')) { method = 'text'; rest = s.slice(5) }
  else if (s.startsWith('git:')) { method = 'git'; rest = s.slice(4) }
  const algo = parseHashAlgo(rest)
  if (method === 'text' && algo !== 'sha256') throw new InvalidDerivationError(`text-hashed output must use sha256, not '${algo}'`)
  if (method === 'git' && algo !== 'sha1' && algo !== 'sha256') throw new InvalidDerivationError(`git-hashed output must use sha1 or sha256, not '${algo}'`)
  return { method, algo }
}

const METHOD_PREFIX: Readonly<Record<ContentAddressMethod, string>> = { flat: '', nar: 'r:', text: 'text:', git: 'git:' }

/** `r:sha256` (C++ `ContentAddress::printMethodAlgo`, `renderPrefix() + algo`). */
export function printMethodAlgo(method: ContentAddressMethod, algo: HashAlgo): string {
  return METHOD_PREFIX[method] + algo
}

// ---------------------------------------------------------------------------------------------
// Printing

const NEEDS_ESCAPE = /["\\\n\r\t]/

/** A quoted, escaped string (C++ `printString`). */
export function atermString(s: string): string {
  // most strings need no escapes: one native scan decides
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"'
  let out = '"'
  let from = 0
  for (let i = 0; i < s.length; i++) {
    let e: string
    switch (s.charCodeAt(i)) {
      case 0x22: e = '\\"'; break
      case 0x5c: e = '\\\\'; break
      case 0x0a: e = '\\n'; break
      case 0x0d: e = '\\r'; break
      case 0x09: e = '\\t'; break
      default: continue
    }
    out += s.slice(from, i) + e
    from = i + 1
  }
  return out + s.slice(from) + '"'
}

function quoted(s: string): string { return '"' + s + '"' }

/** Strictly increasing in C++ order? (Parsed derivations are, so sorting can be skipped.) */
function isSortedUnique(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareUtf8(keys[i - 1]!, keys[i]!) >= 0) return false
  return true
}

/** Entries in key order (sorted in place unless they already are). */
function sortEntries<T>(a: Array<[string, T]>): Array<[string, T]> {
  for (let i = 1; i < a.length; i++) {
    if (compareUtf8(a[i - 1]![0], a[i]![0]) >= 0) return a.sort((x, y) => compareUtf8(x[0], y[0]))
  }
  return a
}

function byKey<T>(entries: Iterable<[string, T]>): Array<[string, T]> {
  return sortEntries([...entries])
}

function sortedSet(items: readonly string[]): readonly string[] {
  return isSortedUnique(items) ? items : [...new Set(items)].sort(compareUtf8)
}

function printStringSet(items: readonly string[]): string {
  const sorted = sortedSet(items)
  let s = '['
  for (let i = 0; i < sorted.length; i++) s += (i === 0 ? '"' : ',"') + sorted[i]! + '"'
  return s + ']'
}

function printNode(n: DerivedPathMapNode): string {
  if (n.dynamicOutputs.size === 0) return printStringSet(n.outputs)
  const children = byKey(n.dynamicOutputs).map(([k, c]) => '(' + quoted(k) + ',' + printNode(c) + ')')
  return '(' + printStringSet(n.outputs) + ',[' + children.join(',') + '])'
}

export function hasDynamicDrvDep(drv: Pick<Derivation, 'inputDrvs'>): boolean {
  for (const i of drv.inputDrvs) if (i.dynamicOutputs.size > 0) return true
  return false
}

/**
 * How the hashing variant differs from the plain form (C++ `unparse(store, maskOutputs,
 * actualInputs)`): outputs masked and input derivations replaced by their hashes modulo.
 */
export interface AtermPrintOptions {
  /** Blank output paths and the environment variables named like outputs. */
  readonly maskOutputs?: boolean
  /** Print these `(key, outputs)` pairs (base-16 hashes) instead of the input derivations. */
  readonly actualInputs?: ReadonlyMap<string, readonly string[]>
}

/** The `.drv` text (C++ `Derivation::unparse`). */
export function printDerivation(drv: Derivation, storeDir: StoreDir = new StoreDir(), opts: AtermPrintOptions = {}): string {
  const mask = opts.maskOutputs === true
  const outputs = printOutputs(drv, storeDir, mask)
  const inputs = opts.actualInputs ? printActualInputs(opts.actualInputs) : printInputDrvs(drv, storeDir)
  const middle = printMiddle(drv, storeDir)
  const env = printEnv(sortedEnv(drv), mask ? drv.outputs : undefined)
  return atermHead(drv) + outputs + '],[' + inputs + '],' + middle + ',[' + env + '])'
}

// The pieces of the text, for printers of several variants of one derivation
// (`Derive([<outputs>],[<inputs>],<middle>,[<env>])`).

/** Up to the first output. */
export function atermHead(drv: Pick<Derivation, 'inputDrvs'>): string {
  return hasDynamicDrvDep(drv) ? 'DrvWithVersion(' + quoted(DYN_DRV_VERSION) + ',[' : 'Derive(['
}

/** The outputs, without the brackets. */
export function printOutputs(drv: BasicDerivation, storeDir: StoreDir, mask: boolean): string {
  let s = ''
  for (const [name, o] of byKey(drv.outputs)) {
    const [path, algo, hash] = printOutputFields(storeDir, drv.name, name, o, mask)
    s += (s === '' ? '("' : ',("') + name + '","' + path + '","' + algo + '","' + hash + '")'
  }
  return s
}

/** Input derivations by path, without the brackets. */
export function printInputDrvs(drv: Pick<Derivation, 'inputDrvs'>, storeDir: StoreDir): string {
  // base names computed once (StorePath builds them on each access)
  let drvs = drv.inputDrvs.map(d => [d.path.baseName, d] as [string, InputDrv])
  if (!isSortedUnique(drvs.map(d => d[0]))) {
    drvs = drvs.sort((a, b) => compareUtf8(a[0], b[0]))
    for (let i = 1; i < drvs.length; i++) {
      if (drvs[i]![0] === drvs[i - 1]![0]) throw new InvalidDerivationError(`input derivation '${storeDir.path}/${drvs[i]![0]}' listed twice`)
    }
  }
  const prefix = '("' + storeDir.path + '/'
  let s = ''
  for (let i = 0; i < drvs.length; i++) s += (i === 0 ? prefix : ',' + prefix) + drvs[i]![0] + '",' + printNode(drvs[i]![1]) + ')'
  return s
}

/** Input derivations replaced by `(key, outputs)` pairs (the hashing form), without the brackets. */
export function printActualInputs(inputs: ReadonlyMap<string, readonly string[]>): string {
  let s = ''
  for (const [k, outs] of byKey(inputs)) s += (s === '' ? '("' : ',("') + k + '",' + printStringSet(outs) + ')'
  return s
}

/** Input sources, system, builder and arguments: `[…],"…","…",[…]`. */
export function printMiddle(drv: BasicDerivation, storeDir: StoreDir): string {
  let s = printStorePaths(storeDir, drv.inputSrcs) + ',' + quoted(drv.platform) + ',' + atermString(drv.builder) + ',['
  for (let i = 0; i < drv.args.length; i++) s += (i === 0 ? '' : ',') + atermString(drv.args[i]!)
  return s + ']'
}

/** The environment in key order, with structured attrs as `__json` (C++ checks the key first). */
export function sortedEnv(drv: Pick<BasicDerivation, 'env' | 'structuredAttrs'>): Array<[string, string]> {
  checkEnvKeyNotInUse(drv)
  const a = [...drv.env]
  if (drv.structuredAttrs) a.push([STRUCTURED_ATTRS_ENV, drv.structuredAttrs.text])
  return sortEntries(a)
}

/** The environment, without the brackets; variables named in `maskOutputs` are blanked. */
export function printEnv(env: ReadonlyArray<readonly [string, string]>, maskOutputs?: ReadonlyMap<string, unknown>): string {
  let s = ''
  for (let i = 0; i < env.length; i++) {
    const [k, v] = env[i]!
    s += (i === 0 ? '(' : ',(') + atermString(k) + ',' + (maskOutputs?.has(k) === true ? '""' : atermString(v)) + ')'
  }
  return s
}

function printStorePaths(storeDir: StoreDir, paths: readonly StorePath[]): string {
  const names = sortedSet(paths.map(p => p.baseName))
  const prefix = '"' + storeDir.path + '/'
  let s = '['
  for (let i = 0; i < names.length; i++) s += (i === 0 ? prefix : ',' + prefix) + names[i]! + '"'
  return s + ']'
}

/** C++ `StructuredAttrs::checkKeyNotInUse`: `__json` is reserved. */
export function checkEnvKeyNotInUse(drv: Pick<BasicDerivation, 'env'>): void {
  if (drv.env.has(STRUCTURED_ATTRS_ENV)) {
    throw new InvalidDerivationError(`cannot have an environment variable named '${STRUCTURED_ATTRS_ENV}': this key is reserved for encoding structured attrs`)
  }
}
