/**
 * File system object trees held in memory (C++ `MemorySourceAccessor`): what tests, small NARs
 * and listings work with. Big trees should stream as events instead.
 */
import { NarContractError, NarTrailingDataError } from './errors.js'
import { NarDecoder } from './decoder.js'
import { NarEncoder } from './encoder.js'
import type { NarEvent } from './events.js'
import { compareBytes } from './format.js'

export type NarNode =
  | { readonly kind: 'regular'; readonly executable: boolean; readonly contents: Uint8Array }
  | { readonly kind: 'symlink'; readonly target: Uint8Array }
  | { readonly kind: 'directory'; readonly entries: readonly NarEntry[] }

export interface NarEntry { readonly name: Uint8Array; readonly node: NarNode }

const enc = new TextEncoder()
const bytes = (s: string | Uint8Array): Uint8Array => typeof s === 'string' ? enc.encode(s) : s

/** A regular file. */
export function narFile(contents: string | Uint8Array, executable = false): NarNode {
  return { kind: 'regular', executable, contents: bytes(contents) }
}

/** A symlink. */
export function narSymlink(target: string | Uint8Array): NarNode {
  return { kind: 'symlink', target: bytes(target) }
}

/** A directory from a record of UTF-8 names (or a list of entries); entries are sorted. */
export function narDirectory(entries: Record<string, NarNode> | readonly NarEntry[] = {}): NarNode {
  const list = Array.isArray(entries) ? [...(entries as readonly NarEntry[])] : Object.entries(entries).map(([n, node]) => ({ name: enc.encode(n), node }))
  return { kind: 'directory', entries: list.sort((a, b) => compareBytes(a.name, b.name)) }
}

/** The events of a tree, entries in byte order of their names (sorting them if needed). */
export function* narEvents(node: NarNode): Generator<NarEvent> {
  switch (node.kind) {
    case 'regular':
      yield { kind: 'regular', executable: node.executable, size: node.contents.length }
      if (node.contents.length > 0) yield { kind: 'contents', data: node.contents }
      return
    case 'symlink':
      yield { kind: 'symlink', target: node.target }
      return
    case 'directory': {
      yield { kind: 'directory' }
      const sorted = isSorted(node.entries) ? node.entries : [...node.entries].sort((a, b) => compareBytes(a.name, b.name))
      for (const e of sorted) {
        yield { kind: 'entry', name: e.name }
        yield* narEvents(e.node)
      }
      yield { kind: 'directoryEnd' }
    }
  }
}

function isSorted(entries: readonly NarEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if (compareBytes(entries[i - 1]!.name, entries[i]!.name) >= 0) return false
  return true
}

/** Serialise an in-memory tree to NAR bytes. */
export function encodeNarTree(node: NarNode): Uint8Array {
  const e = new NarEncoder()
  for (const ev of narEvents(node)) e.write(ev)
  e.end()
  return concatBytes(e.take())
}

/** Build a tree from a complete sequence of events. */
export function treeFromEvents(events: Iterable<NarEvent>): NarNode {
  type Frame = { entries: NarEntry[]; name: Uint8Array | undefined }
  const stack: Frame[] = []
  let name: Uint8Array | undefined
  let root: NarNode | undefined
  let file: { executable: boolean; parts: Uint8Array[]; size: number; left: number; name: Uint8Array | undefined } | undefined
  const attach = (n: Uint8Array | undefined, node: NarNode): void => {
    const top = stack[stack.length - 1]
    if (top === undefined) root = node
    else top.entries.push({ name: n!, node })
  }
  const finishFile = (): void => {
    if (file === undefined || file.left > 0) return
    attach(file.name, { kind: 'regular', executable: file.executable, contents: concatBytes(file.parts, file.size) })
    file = undefined
  }
  for (const ev of events) {
    switch (ev.kind) {
      case 'entry': name = ev.name; break
      case 'directory': stack.push({ entries: [], name }); name = undefined; break
      case 'directoryEnd': {
        const f = stack.pop()
        if (f === undefined) throw new NarContractError('directoryEnd without a directory')
        attach(f.name, { kind: 'directory', entries: f.entries })
        break
      }
      case 'symlink': attach(name, { kind: 'symlink', target: ev.target }); name = undefined; break
      case 'regular':
        file = { executable: ev.executable, parts: [], size: ev.size, left: ev.size, name }
        name = undefined
        finishFile()
        break
      case 'contents':
        if (file === undefined) throw new NarContractError('contents outside a file')
        file.parts.push(new Uint8Array(ev.data))
        file.left -= ev.data.length
        finishFile()
        break
    }
  }
  if (root === undefined || stack.length > 0 || file !== undefined) throw new NarContractError('incomplete event sequence')
  return root
}

/** Parse complete NAR bytes into a tree (throws on any trailing bytes). */
export function decodeNarTree(nar: Uint8Array): NarNode {
  const d = new NarDecoder()
  d.push(nar)
  const events: NarEvent[] = []
  for (let ev = d.next(); ev !== undefined; ev = d.next()) events.push(ev.kind === 'contents' ? { kind: 'contents', data: new Uint8Array(ev.data) } : ev)
  d.end()
  if (d.rest().length > 0) throw new NarTrailingDataError(d.rest().length)
  return treeFromEvents(events)
}

/** Concatenate byte arrays (into one new array of `total` bytes). */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === total) return parts[0]!
  const out = new Uint8Array(total)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}
