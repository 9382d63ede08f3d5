import { blake3 } from './blake3.js'
import { InvalidDigestError } from './errors.js'

export const B3_LEN = 32

/**
 * A BLAKE3-256 digest (tvix castore `B3Digest`): 32 bytes, checked once when built. Printed
 * as `b3:` + padded standard base64, as tvix does (castore/src/digests.rs).
 */
export class B3Digest {
  private hexCache: string | undefined
  private constructor(readonly bytes: Uint8Array) {}

  /** Wrap 32 bytes (copied, so the digest cannot change under us). */
  static from(bytes: Uint8Array): B3Digest {
    if (bytes.length !== B3_LEN) throw new InvalidDigestError(`invalid digest length: expected ${B3_LEN} bytes, got ${bytes.length}`)
    return new B3Digest(Uint8Array.from(bytes))
  }

  /** Wrap 32 bytes without copying; the caller gives up the buffer. */
  static adopt(bytes: Uint8Array): B3Digest {
    if (bytes.length !== B3_LEN) throw new InvalidDigestError(`invalid digest length: expected ${B3_LEN} bytes, got ${bytes.length}`)
    return new B3Digest(bytes)
  }

  /** The digest of `data` (BLAKE3-256 of the raw bytes). */
  static of(data: Uint8Array): B3Digest {
    return new B3Digest(blake3(data))
  }

  static fromHex(s: string): B3Digest {
    if (!/^[0-9a-f]{64}$/.test(s)) throw new InvalidDigestError(`invalid digest: expected 64 lowercase hex characters, got ${JSON.stringify(s.slice(0, 80))}`)
    return new B3Digest(Uint8Array.from(Buffer.from(s, 'hex')))
  }

  /** Parse the `b3:<base64>` form. */
  static parse(s: string): B3Digest {
    const m = /^b3:([A-Za-z0-9+/]{43}=)$/.exec(s)
    if (!m) throw new InvalidDigestError(`invalid digest: expected b3:<base64 of 32 bytes>, got ${JSON.stringify(s.slice(0, 80))}`)
    return B3Digest.from(Buffer.from(m[1]!, 'base64'))
  }

  get hex(): string {
    // one flat string from native code (a concatenation loop leaves a rope V8 must flatten at use)
    this.hexCache ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString('hex')
    return this.hexCache
  }

  equals(other: B3Digest): boolean {
    if (this === other) return true
    const a = this.bytes, b = other.bytes
    for (let i = 0; i < B3_LEN; i++) if (a[i] !== b[i]) return false
    return true
  }

  toString(): string {
    return 'b3:' + Buffer.from(this.bytes.buffer, this.bytes.byteOffset, B3_LEN).toString('base64')
  }
}

/** BLAKE3("") — both the empty blob and the empty Directory (whose encoding is zero bytes). */
export const EMPTY_DIGEST = B3Digest.of(new Uint8Array(0))
