/**
 * NAR listings: the JSON of `nix nar ls --json [-R]`, `nix store ls --json` and binary cache
 * `.ls` files (C++ `NarListing` / `ShallowNarListing`, nar-accessor.cc). A regular file has
 * `size`, `executable` only when true, and `narOffset` (where its contents start in the NAR)
 * when known; a directory has `entries`; a symlink has `target`.
 *
 * JSON text is written as C++ Nix 2.34 writes it (nlohmann: keys sorted by bytes, compact, or
 * indented by 2 with `indent`), which JS objects cannot do on their own (integer-like keys go
 * first), so entries are Maps and the writer is our own.
 */
import { ByteSource } from '../wire/index.js'
import { NarDecoder } from './decoder.js'
import { NarListingError } from './errors.js'
import { compareBytes } from './format.js'
import { NarReader, type NarReadOptions } from './stream.js'

export type NarListing =
  | { readonly type: 'regular'; readonly size: number; readonly executable: boolean; readonly narOffset?: number | undefined }
  | { readonly type: 'symlink'; readonly target: string }
  | { readonly type: 'directory'; readonly entries: ReadonlyMap<string, NarListing> }

const utf8 = new TextDecoder('utf-8', { fatal: false })
const enc = new TextEncoder()

/** Builds a listing from decoder events; `offset()` gives the NAR offset after a `regular`. */
class ListingBuilder {
  private readonly stack: Array<Map<string, NarListing>> = []
  private name: string | undefined
  root: NarListing | undefined

  private attach(node: NarListing): void {
    const top = this.stack[this.stack.length - 1]
    if (top === undefined) this.root = node
    else top.set(this.name!, node)
  }

  event(ev: import('./events.js').NarEvent, offset: number): void {
    switch (ev.kind) {
      case 'entry': this.name = utf8.decode(ev.name); break
      case 'directory': {
        const entries = new Map<string, NarListing>()
        this.attach({ type: 'directory', entries })
        this.stack.push(entries)
        break
      }
      case 'directoryEnd': this.stack.pop(); break
      case 'regular': this.attach({ type: 'regular', size: ev.size, executable: ev.executable, narOffset: offset }); break
      case 'symlink': this.attach({ type: 'symlink', target: utf8.decode(ev.target) }); break
      case 'contents': break
    }
  }
}

/** The deep listing of NAR bytes (all of them must be the NAR). */
export function listNarBytes(nar: Uint8Array): NarListing {
  const d = new NarDecoder()
  const b = new ListingBuilder()
  d.push(nar)
  for (let ev = d.next(); ev !== undefined; ev = d.next()) b.event(ev, d.position)
  d.end()
  return b.root!
}

/** The deep listing of a streamed NAR (validated as it goes). */
export async function listNar(src: AsyncIterable<Uint8Array> | ByteSource, opts: NarReadOptions = {}): Promise<NarListing> {
  const r = new NarReader(src, opts)
  const b = new ListingBuilder()
  for (let ev = await r.next(); ev !== undefined; ev = await r.next()) b.event(ev, r.position)
  return b.root!
}

/** The node at `path` (`/`-separated, relative to the root; "" or "/" is the root). */
export function listingAt(root: NarListing, path: string): NarListing | undefined {
  let node: NarListing | undefined = root
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (node?.type !== 'directory') return undefined
    node = node.entries.get(part)
  }
  return node
}

export interface ListingJsonOptions {
  /** Directory entries in full (`-R`); otherwise each entry is `{}` (C++ ShallowNarListing). */
  recursive?: boolean
  /** Indent by this many spaces per level, as nlohmann `dump(indent)`; compact if undefined. */
  indent?: number
}

/** The listing as C++ Nix 2.34 prints it. */
export function listingToJson(node: NarListing, opts: ListingJsonOptions = {}): string {
  return writeJson(listingValue(node, opts.recursive ?? true), opts.indent, 0)
}

/** A binary cache `.ls` file body: `{"root":…,"version":1}`. */
export function lsFileJson(root: NarListing): string {
  return writeJson(new Map<string, JsonValue>([['root', listingValue(root, true)], ['version', 1]]), undefined, 0)
}

type JsonValue = string | number | boolean | Map<string, JsonValue>

function listingValue(node: NarListing, recursive: boolean): JsonValue {
  const m = new Map<string, JsonValue>()
  switch (node.type) {
    case 'regular':
      if (node.executable) m.set('executable', true)
      if (node.narOffset !== undefined && node.narOffset !== 0) m.set('narOffset', node.narOffset)
      m.set('size', node.size)
      break
    case 'symlink':
      m.set('target', node.target)
      break
    case 'directory': {
      const entries = new Map<string, JsonValue>()
      for (const [name, child] of node.entries) entries.set(name, recursive ? listingValue(child, true) : new Map())
      m.set('entries', entries)
      break
    }
  }
  m.set('type', node.type)
  return m
}

/** nlohmann-style JSON: keys in byte order, `indent` spaces per level when given. */
function writeJson(v: JsonValue, indent: number | undefined, level: number): string {
  if (!(v instanceof Map)) return JSON.stringify(v)
  if (v.size === 0) return '{}'
  const keys = [...v.keys()].sort((a, b) => compareBytes(enc.encode(a), enc.encode(b)))
  if (indent === undefined) return '{' + keys.map(k => `${JSON.stringify(k)}:${writeJson(v.get(k)!, indent, level + 1)}`).join(',') + '}'
  const pad = ' '.repeat(indent * (level + 1))
  const body = keys.map(k => `${pad}${JSON.stringify(k)}: ${writeJson(v.get(k)!, indent, level + 1)}`).join(',\n')
  return `{\n${body}\n${' '.repeat(indent * level)}}`
}

/** Parse listing JSON (deep: `nix nar ls --json -R`, an `.ls` file's `root`, the goldens). */
export function parseListing(json: unknown): NarListing {
  return fromJson(json, '')
}

/** Parse a shallow directory listing (`nix nar ls --json` of a directory): the entry names. */
export function parseShallowListing(json: unknown): string[] {
  const o = object(json, '')
  if (o['type'] !== 'directory') throw new NarListingError('', "expected a directory")
  const entries = object(o['entries'], '')
  for (const [k, v] of Object.entries(entries)) if (Object.keys(object(v, `/${k}`)).length !== 0) throw new NarListingError(`/${k}`, 'expected {}')
  return Object.keys(entries)
}

/** Parse a binary cache `.ls` file body (`{"version":1,"root":…}`). */
export function parseLsFile(json: unknown): NarListing {
  const o = object(json, '')
  if (o['version'] !== 1) throw new NarListingError('', `unsupported listing version ${JSON.stringify(o['version'])}`)
  return fromJson(o['root'], '')
}

// Validated by hand rather than with zod: importing zod costs ~80 ms, which every `tsnix nar`
// command would pay at start-up (C++ nix-store starts in ~30 ms).
function object(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new NarListingError(at, 'expected an object')
  return v as Record<string, unknown>
}

function count(v: unknown, at: string, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new NarListingError(at, `expected '${what}' to be a non-negative integer`)
  return v
}

function fromJson(json: unknown, at: string): NarListing {
  const o = object(json, at)
  switch (o['type']) {
    case 'regular': {
      const executable = o['executable'] ?? false
      if (typeof executable !== 'boolean') throw new NarListingError(at, "expected 'executable' to be a boolean")
      const size = count(o['size'], at, 'size')
      if (o['narOffset'] === undefined) return { type: 'regular', size, executable }
      return { type: 'regular', size, executable, narOffset: count(o['narOffset'], at, 'narOffset') }
    }
    case 'symlink': {
      const target = o['target']
      if (typeof target !== 'string') throw new NarListingError(at, "expected 'target' to be a string")
      return { type: 'symlink', target }
    }
    case 'directory': {
      const entries = new Map<string, NarListing>()
      for (const [k, child] of Object.entries(object(o['entries'], at))) entries.set(k, fromJson(child, `${at}/${k}`))
      return { type: 'directory', entries }
    }
    default: throw new NarListingError(at, `unknown type ${JSON.stringify(o['type'])}`)
  }
}
