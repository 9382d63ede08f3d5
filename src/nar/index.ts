/**
 * NAR (Nix ARchive): the grammar, the incremental decoder and the encoder (pure codecs), async
 * adapters with a `NarSink`, in-memory trees and listings. Filesystem dump/restore lives in
 * `./fs.js`, imported separately so that pure users do not load `node:fs`.
 */
export * from './errors.js'
export * from './format.js'
export * from './events.js'
export * from './decoder.js'
export * from './encoder.js'
export * from './tree.js'
export * from './stream.js'
export * from './listing.js'
