/**
 * Codecs for the wire primitives and containers (C++ common-protocol.cc and the
 * length-prefixed helpers): numbers, strings, lists/sets, maps, tagged optionals, store paths.
 */
import { StorePath } from '../../store-path/index.js'
import { LIMITS, type WireReader, type WireWriter } from '../../wire/index.js'
import { InvalidWireValueError } from '../errors.js'
import type { Codec, CodecContext } from './context.js'

export const U64: Codec<bigint> = {
  read: r => r.u64(),
  write: (w, _c, v) => { w.u64(v) },
}

/** A u64 that must fit a JS safe integer (sizes, times, counts). */
export const Num: Codec<number> = {
  read: r => r.num(),
  write: (w, _c, v) => { w.u64(v) },
}

/** C++ `readInt`: at most 2^32-1. */
export const UInt: Codec<number> = {
  read: r => r.u32(),
  write: (w, _c, v) => { w.u64(v) },
}

export const Bool: Codec<boolean> = {
  read: r => r.bool(),
  write: (w, _c, v) => { w.bool(v) },
}

/** A short string (names, hashes, settings): at most LIMITS.shortString bytes. */
export const Str: Codec<string> = {
  read: r => r.string({ max: LIMITS.shortString }),
  write: (w, _c, v) => { w.string(v) },
}

/** A long string (messages, JSON, text bodies): at most LIMITS.text bytes. */
export const Text: Codec<string> = {
  read: r => r.string({ max: LIMITS.text, what: 'text' }),
  write: (w, _c, v) => { w.string(v) },
}

/** Raw bytes kept as bytes (file contents, export streams); a copy, not a view. */
export const Bytes: Codec<Uint8Array> = {
  read: r => r.bytes({ max: LIMITS.text, what: 'bytes' }).slice(),
  write: (w, _c, v) => { w.bytes(v) },
}

/** list<T> / set<T>: u64 count then the elements, in the sender's order. */
export function listOf<T, W = T>(item: Codec<T, W>, what = 'list'): Codec<T[], readonly W[]> {
  return {
    read(r, ctx) {
      const n = r.count(what)
      // no preallocation: a count is only a claim until the elements have arrived
      const out: T[] = []
      for (let i = 0; i < n; i++) out.push(item.read(r, ctx))
      return out
    },
    write(w, ctx, v) {
      w.u64(v.length)
      for (const x of v) item.write(w, ctx, x)
    },
  }
}

/** map<K,V>: u64 count then (key, value) pairs; a Map keeps the wire order. */
export function mapOf<K, V, KW = K, VW = V>(key: Codec<K, KW>, value: Codec<V, VW>, what = 'map'): Codec<Map<K, V>, ReadonlyMap<KW, VW>> {
  return {
    read(r, ctx) {
      const n = r.count(what)
      const out = new Map<K, V>()
      for (let i = 0; i < n; i++) {
        const k = key.read(r, ctx)
        out.set(k, value.read(r, ctx))
      }
      return out
    },
    write(w, ctx, v) {
      w.u64(v.size)
      for (const [k, x] of v) { key.write(w, ctx, k); value.write(w, ctx, x) }
    },
  }
}

/** A tag (u64 0 = none, 1 = some) then the value (C++ `std::optional` in newer serialisers). */
export function taggedOptional<T, W = T>(item: Codec<T, W>, what = 'optional tag'): Codec<T | undefined, W | undefined> {
  return {
    read(r, ctx) {
      const tag = r.u64()
      if (tag === 0n) return undefined
      if (tag === 1n) return item.read(r, ctx)
      throw new InvalidWireValueError(what, tag)
    },
    write(w, ctx, v) {
      if (v === undefined) w.u64(0)
      else { w.u64(1); item.write(w, ctx, v) }
    },
  }
}

/** Read a u64 that must be one of `table`'s indices (an enum sent as a number). */
export function readEnum<T>(r: WireReader, table: readonly T[], what: string): T {
  const n = r.u64()
  const v = n < BigInt(table.length) ? table[Number(n)] : undefined
  if (v === undefined) throw new InvalidWireValueError(what, n)
  return v
}

export function writeEnum<T>(w: WireWriter, table: readonly T[], v: T, what: string): void {
  const i = table.indexOf(v)
  if (i < 0) throw new RangeError(`unknown ${what} ${String(v)}`)
  w.u64(i)
}

function readPath(r: WireReader, ctx: CodecContext): StorePath {
  return ctx.storeDir.parse(r.string({ max: LIMITS.path, what: 'store path' }))
}

/** An absolute store path (`/nix/store/<hash>-<name>`). */
export const StorePathCodec: Codec<StorePath> = {
  read: readPath,
  write: (w, ctx, p) => { w.string(ctx.storeDir.print(p)) },
}

/** An optional store path: `""` = none. */
export const OptStorePathCodec: Codec<StorePath | undefined> = {
  read(r, ctx) {
    const s = r.string({ max: LIMITS.path, what: 'store path' })
    return s === '' ? undefined : ctx.storeDir.parse(s)
  },
  write: (w, ctx, p) => { w.string(p === undefined ? '' : ctx.storeDir.print(p)) },
}

/** A store path by base name only (AddBuildLog, RegisterDrvOutput < 1.31). */
export const BaseNameStorePathCodec: Codec<StorePath> = {
  read: r => StorePath.fromBaseName(r.string({ max: LIMITS.path, what: 'store path' })),
  write: (w, _c, p) => { w.string(p.baseName) },
}

export const StorePathList: Codec<StorePath[], readonly StorePath[]> = listOf(StorePathCodec, 'store path list')
export const StringList: Codec<string[], readonly string[]> = listOf(Str, 'string list')
export const StringMap: Codec<Map<string, string>, ReadonlyMap<string, string>> = mapOf(Str, Str, 'string map')
