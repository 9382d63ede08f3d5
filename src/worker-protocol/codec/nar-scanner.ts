/**
 * Finds where a NAR ends in a byte stream, incrementally: push chunks, learn how many bytes of
 * each belonged to the NAR. Raw NARs on the worker protocol have no length prefix (old
 * AddToStore, AddToStoreNar < 1.21, NarFromPath, the items of AddMultipleToStore), so the only
 * way to find the end is to follow the grammar, as C++ does with `parseDump` into a null sink.
 * The grammar (and every check C++ makes) is `nar/`'s NarDecoder; this adds the byte count and
 * a summary of what the NAR held.
 */
import { NarDecoder } from '../../nar/index.js'

export interface NarStats {
  regular: number
  executable: number
  directory: number
  symlink: number
  contentBytes: number
}

export class NarScanner {
  readonly stats: NarStats = { regular: 0, executable: 0, directory: 0, symlink: 0, contentBytes: 0 }
  private readonly decoder = new NarDecoder()
  /** Bytes of the NAR seen so far. */
  length = 0

  get done(): boolean { return this.decoder.done }

  /** Feed bytes; returns how many of them belong to the NAR (less than `chunk.length` only once done). */
  push(chunk: Uint8Array): number {
    if (this.decoder.done || chunk.length === 0) return 0
    this.decoder.push(chunk)
    for (let e = this.decoder.next(); e; e = this.decoder.next()) {
      switch (e.kind) {
        case 'regular': this.stats.regular++; if (e.executable) this.stats.executable++; this.stats.contentBytes += e.size; break
        case 'directory': this.stats.directory++; break
        case 'symlink': this.stats.symlink++; break
      }
    }
    const used = chunk.length - this.decoder.rest().length
    this.length += used
    return used
  }

  /** Call at end of input: a NAR cut short is an error. */
  end(): void { this.decoder.end() }
}
