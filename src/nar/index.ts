/**
 * NAR (Nix ARchive): the grammar, the incremental decoder and the encoder (pure codecs), async
 * adapters with a `NarSink`, in-memory trees and listings, and (in fs.ts, the one file here
 * that touches the filesystem) dump, hash and restore of local paths.
 */
export * from './errors.js'
export * from './format.js'
export * from './events.js'
export * from './decoder.js'
export * from './encoder.js'
export * from './tree.js'
export * from './stream.js'
export * from './listing.js'
export * from './fs.js'
