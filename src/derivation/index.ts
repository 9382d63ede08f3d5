/**
 * Store derivations: the model, the ATerm (`.drv`) and JSON codecs, and the hashing that gives
 * derivations and their outputs their store paths. Pure: no I/O; whatever needs other
 * derivations takes a lookup.
 *
 * For the evaluator (`derivationStrict`):
 *
 *   const cache = new DrvHashCache(readDrvSync?)        // C++ drvHashes
 *   const { drv, info, drvHash } = instantiateDerivation(draft, cache.lookup)
 *                                   // output paths + env (IA: draft outputs 'deferred'), the .drv
 *   cache.set(info.path, drvHash)   // so dependents can hash against it
 *   (the same as finalizeDerivation + derivationStoreInfo + cache.record, computed together)
 *   hashPlaceholder(out), DownstreamPlaceholder          // placeholders for `builtins.placeholder`, CA outputs
 *
 * For the store and the builder: parseDerivation / printDerivation, derivationFromJson /
 * printDerivationShow, checkInvariants / fillInOutputPaths, tryResolve, derivationOptions,
 * parseOutputFields / printOutputFields (the output triples BuildDerivation also carries).
 */
export * from './errors.js'
export * from './order.js'
export * from './json-value.js'
export * from './types.js'
export * from './structured-attrs.js'
export * from './aterm.js'
export * from './hash-modulo.js'
export * from './output-paths.js'
export * from './instantiate.js'
export * from './json.js'
export * from './placeholder.js'
export * from './options.js'
export * from './resolve.js'
