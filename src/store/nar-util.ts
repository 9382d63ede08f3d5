/** Small helpers for byte streams in the store. */
import { encodeNarTree, narFile } from '../nar/index.js'
import { StoreError } from './errors.js'

/** Collect a stream into one buffer, refusing more than `max` bytes. */
export async function readAll(src: AsyncIterable<Uint8Array>, max = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let n = 0
  for await (const c of src) {
    n += c.length
    if (n > max) throw new StoreError(`input larger than ${max} bytes`)
    parts.push(c.slice())
  }
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** The NAR of a single regular file. */
export function narOfFile(contents: Uint8Array, executable: boolean): Uint8Array {
  return encodeNarTree(narFile(contents, executable))
}
