/**
 * BLAKE3-256, the one hash of the castore. The native addon (@napi-rs/blake-hash, ~2.8 GB/s)
 * is used when it loads; otherwise hash-wasm (~0.5 GB/s) takes over, so a platform without a
 * prebuilt addon still works (store.md §3, §5). `TSNIX_BLAKE3=wasm` forces the fallback.
 *
 * Native hasher objects cost ~20 µs to construct, so streaming hashers are pooled and reset
 * rather than created per blob; small inputs use the one-shot function.
 */
import { createRequire } from 'node:module'
import { createBLAKE3, type IHasher } from 'hash-wasm'

/**
 * An incremental BLAKE3-256 hasher. `reset()` starts over; `release()` returns it to the pool
 * (do not use it afterwards).
 */
export interface Blake3Hasher {
  update(data: Uint8Array): void
  digest(): Uint8Array
  reset(): void
  release(): void
}

export interface Blake3Impl {
  readonly name: 'native' | 'wasm'
  hash(data: Uint8Array): Uint8Array
  hasher(): Blake3Hasher
}

interface NativeHasher { reset(): void; update(input: Uint8Array): unknown; digestBuffer(): Buffer }
interface NativeModule { blake3(input: Uint8Array): Buffer; Blake3Hasher: new () => NativeHasher }

const POOL_MAX = 64

function nativeImpl(mod: NativeModule): Blake3Impl {
  const pool: NativeHasher[] = []
  return {
    name: 'native',
    hash: (data) => mod.blake3(data),
    hasher() {
      const h = pool.pop() ?? new mod.Blake3Hasher()
      return {
        update(data) { h.update(data) },
        digest() { return h.digestBuffer() },
        reset() { h.reset() },
        release() {
          h.reset()
          if (pool.length < POOL_MAX) pool.push(h)
        },
      }
    },
  }
}

async function wasmImpl(): Promise<Blake3Impl> {
  // hash-wasm instances are created asynchronously; keep a pool of ready ones and refill it
  // in the background so `hasher()` can stay synchronous.
  const oneShot = await createBLAKE3(256)
  const pool: IHasher[] = []
  for (let i = 0; i < 4; i++) pool.push(await createBLAKE3(256))
  const refill = (): void => { void createBLAKE3(256).then(h => { if (pool.length < POOL_MAX) pool.push(h) }) }
  return {
    name: 'wasm',
    hash(data) { oneShot.init(); oneShot.update(data); return oneShot.digest('binary') },
    hasher() {
      let h = pool.pop()
      let own = false
      if (h === undefined) { h = oneShotFallback(); own = true } else refill()
      const hh = h
      hh.init()
      return {
        update(data) { hh.update(data) },
        digest() { return hh.digest('binary') },
        reset() { hh.init() },
        release() { if (!own && pool.length < POOL_MAX) pool.push(hh) },
      }
    },
  }
  // When the pool is empty, fall back to accumulating and hashing at the end with the
  // one-shot instance (correct, only memory-hungrier; rare: the pool refills quickly).
  function oneShotFallback(): IHasher {
    const parts: Uint8Array[] = []
    const acc = {
      init() { parts.length = 0; return acc },
      update(d: Uint8Array) { parts.push(d.slice()); return acc },
      digest() {
        oneShot.init()
        for (const p of parts) oneShot.update(p)
        return oneShot.digest('binary')
      },
    }
    return acc as unknown as IHasher
  }
}

function loadNative(): NativeModule | undefined {
  if (process.env['TSNIX_BLAKE3'] === 'wasm') return undefined
  try {
    return createRequire(import.meta.url)('@napi-rs/blake-hash') as NativeModule
  } catch {
    return undefined
  }
}

const native = loadNative()
/** The implementation in use (native unless it failed to load or TSNIX_BLAKE3=wasm). */
export const blake3Impl: Blake3Impl = native ? nativeImpl(native) : await wasmImpl()

/** Both implementations, for cross-checking in tests (native is undefined if it cannot load). */
export async function allBlake3Impls(): Promise<Blake3Impl[]> {
  return [...(native ? [nativeImpl(native)] : []), await wasmImpl()]
}

/** BLAKE3-256 of `data` in one call. */
export function blake3(data: Uint8Array): Uint8Array {
  return blake3Impl.hash(data)
}

/** A pooled incremental hasher; call `release()` when done with it. */
export function blake3Hasher(): Blake3Hasher {
  return blake3Impl.hasher()
}
