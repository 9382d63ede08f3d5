import { B3Digest } from './digest.js'
import { NotFoundError } from './errors.js'
import { Gate, joinParts, type ListedObject, type Namespace, type ObjectStore, type ObjectWriter } from './object-store.js'

interface Stored { data: Uint8Array; stamp: number }

/** Objects in Maps, for tests and ephemeral stores. */
export class MemoryObjectStore implements ObjectStore {
  private readonly maps: Record<Namespace, Map<string, Stored>> = { blob: new Map(), index: new Map(), dir: new Map() }
  private readonly gate = new Gate()
  /** The clock for stamps (tests of GC replace it). */
  now: () => number = Date.now

  async has(ns: Namespace, d: B3Digest): Promise<boolean> { return this.maps[ns].has(d.hex) }
  async get(ns: Namespace, d: B3Digest): Promise<Uint8Array | undefined> { return this.maps[ns].get(d.hex)?.data }
  async size(ns: Namespace, d: B3Digest): Promise<number | undefined> { return this.maps[ns].get(d.hex)?.data.length }

  async *stream(ns: Namespace, d: B3Digest, start: number, end: number): AsyncIterable<Uint8Array> {
    const o = this.maps[ns].get(d.hex)
    if (!o) throw new NotFoundError(`${ns} object ${d.hex}`)
    if (end > start) yield o.data.subarray(start, end)
  }

  put(ns: Namespace, d: B3Digest, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    return this.gate.shared(async () => {
      const o = this.maps[ns].get(d.hex)
      if (o) o.stamp = this.now()
      else this.maps[ns].set(d.hex, { data: Uint8Array.from(joinParts(data)), stamp: this.now() })
    })
  }

  writer(ns: Namespace): ObjectWriter {
    const parts: Uint8Array[] = []
    return {
      write: async (data) => { parts.push(Uint8Array.from(data)) },
      commit: (d) => this.put(ns, d, Buffer.concat(parts)),
      abort: async () => { parts.length = 0 },
    }
  }

  async sync(): Promise<void> {}

  async *list(ns: Namespace): AsyncIterable<ListedObject> {
    for (const [hex, o] of [...this.maps[ns]]) yield { digest: B3Digest.fromHex(hex), stamp: o.stamp, storedBytes: o.data.length }
  }

  sweep(ns: Namespace, digests: readonly B3Digest[], cutoff: number): Promise<{ deleted: number; freedBytes: number }> {
    return this.gate.exclusive(async () => {
      let deleted = 0, freedBytes = 0
      for (const d of digests) {
        const o = this.maps[ns].get(d.hex)
        if (!o || o.stamp >= cutoff) continue
        this.maps[ns].delete(d.hex)
        deleted++
        freedBytes += o.data.length
      }
      return { deleted, freedBytes }
    })
  }
}
