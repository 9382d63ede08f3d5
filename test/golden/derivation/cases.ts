/**
 * The inputs of the C++ 2.34 capture (capture-2.34.ts) that the specs also need: the seed of
 * the generated set, upstream fixtures to register or add, and crafted non-canonical inputs
 * (written by hand; the expected results are what C++ 2.34 made of them).
 */
export const CAPTURE_SEED = 2034
export const CAPTURE_COUNT = 60

const H = '00000000000000000000000000000000'
const P = (name: string): string => `/nix/store/${H}-${name}`

/** Upstream `.drv` fixtures registered as they are (stem, store base name to use). */
export const LENIENT_FIXTURES: ReadonlyArray<readonly [string, string]> = [
  ['hello', `${H}-hello-2.12.2.drv`],
  ['firefox', `${H}-firefox-140.0.4.drv`],
  ['simple-derivation', `${H}-simple-derivation.drv`],
  ['dyn-dep-derivation', `${H}-dyn-dep-derivation.drv`],
]

/** Hand-written `.drv` texts, each non-canonical in one way (stem, base name, text). */
export const CRAFTED_DRVS: ReadonlyArray<readonly [string, string, string]> = [
  ['json-noncanonical', `${H}-json-noncanonical.drv`,
    String.raw`Derive([("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[("__json","{ \"z\" : [1E2, -0, -0.0, 1.50, 0.1, 1e-7, 1e15, 1e16, 123456789012345678, 18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809],\n \"a\":\"dup\", \"\\u00e9\\/\":\"x\\u0001\\u007f\\ud83d\\ude00\", \"10\": true, \"9\": null, \"a\": {\"\":[], \"k\":{}} }"),("out","")])`],
  ['env-unsorted', `${H}-env-unsorted.drv`,
    String.raw`Derive([("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[("out",""),("b","first"),("a","2"),("b","last")])`],
  ['outputs-duplicate', `${H}-outputs-duplicate.drv`,
    String.raw`Derive([("out","${P('a')}","",""),("dev","","",""),("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[])`],
  ['srcs-unsorted', `${H}-srcs-unsorted.drv`,
    String.raw`Derive([("out","","","")],[("${P('z.drv')}",["out","dev","out"]),("${P('a.drv')}",["x"]),("${P('z.drv')}",["lib"])],["${P('z')}","${P('b')}","${P('z')}"],"x86_64-linux","/bin/sh",[],[])`],
  ['escapes', `${H}-escapes.drv`,
    'Derive([("out","","","")],[],[],"x86_64-linux","/bin/s\\xh",["raw\nnewline","raw\ttab","\\q\\"\\\\"],[("k\\e\\y","v\ra\\lue")])'],
  ['fixed-nix32', `${H}-fixed-nix32.drv`,
    String.raw`Derive([("out","${P('wrong-path')}","r:sha256","1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s")],[],[],"x86_64-linux","/bin/sh",[],[])`],
  ['versioned-plain', `${H}-versioned-plain.drv`,
    String.raw`DrvWithVersion("xp-dyn-drv",[("out","","","")],[("${P('a.drv')}",["out"])],[],"x86_64-linux","/bin/sh",[],[])`],
  ['trailing-data', `${H}-trailing-data.drv`,
    String.raw`Derive([("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[]) trailing`],
  ['system-backslash', `${H}-system-backslash.drv`,
    String.raw`Derive([("out","","","")],[],[],"x86\_64","/bin/sh",[],[])`],
  ['json-not-object', `${H}-json-not-object.drv`,
    String.raw`Derive([("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[("__json","[1,2]")])`],
]

/** Upstream JSON fixtures given to `nix derivation add`, in dependency order (stem, path under fixtures). */
const D234 = 'nixos-nix-2.34.8/src/libstore-tests/data/derivation'
const DMASTER = 'nixos-nix/src/libstore-tests/data/derivation'
export const FROM_JSON_FIXTURES: ReadonlyArray<readonly [string, string]> = [
  ['ia-advanced-attributes-defaults', `${D234}/ia/advanced-attributes-defaults.json`],
  ['ia-advanced-attributes-structured-attrs-defaults', `${D234}/ia/advanced-attributes-structured-attrs-defaults.json`],
  ['ca-advanced-attributes-defaults', `${D234}/ca/advanced-attributes-defaults.json`],
  ['ca-advanced-attributes', `${D234}/ca/advanced-attributes.json`],
  ['ca-advanced-attributes-structured-attrs-defaults', `${D234}/ca/advanced-attributes-structured-attrs-defaults.json`],
  ['ca-advanced-attributes-structured-attrs', `${D234}/ca/advanced-attributes-structured-attrs.json`],
  ['ca-self-contained', `${D234}/ca/self-contained.json`],
  ['simple-derivation', `${D234}/simple-derivation.json`],
  ['dyn-dep-derivation', `${D234}/dyn-dep-derivation.json`],
  ['invariants-filled-in-deferred-empty-env-var-pre', `${D234}/invariants/filled-in-deferred-empty-env-var-pre.json`],
  ['invariants-filled-in-deferred-no-env-var-pre', `${D234}/invariants/filled-in-deferred-no-env-var-pre.json`],
  ['invariants-filled-in-idempotent', `${D234}/invariants/filled-in-idempotent.json`],
  ['invariants-bad-path', `${D234}/invariants/bad-path.json`],
  ['invariants-bad-env-var', `${D234}/invariants/bad-env-var.json`],
  ['hash-modulo-source-first', `${DMASTER}/hash-modulo/source-first.json`],
  ['hash-modulo-source-second', `${DMASTER}/hash-modulo/source-second.json`],
  ['hash-modulo-intermediate-first', `${DMASTER}/hash-modulo/intermediate-first.json`],
  ['hash-modulo-intermediate-second', `${DMASTER}/hash-modulo/intermediate-second.json`],
  ['hash-modulo-parent-split', `${DMASTER}/hash-modulo/parent-split.json`],
  ['hash-modulo-parent-joined', `${DMASTER}/hash-modulo/parent-joined.json`],
]

/** Hand-written derivation JSON given to `nix derivation add` (stem, text). */
export const CRAFTED_JSON: ReadonlyArray<readonly [string, string]> = [
  ['structured-numbers', JSON.stringify({
    args: [], builder: '/bin/sh', env: { out: '' }, inputs: { drvs: {}, srcs: [] }, name: 'structured-numbers',
    outputs: { out: {} }, system: 'x86_64-linux', version: 4,
  }).replace('"version":4}', '"structuredAttrs":{"f":[1.0,1.5,100.0,1e21,1e-5,-0.0,0.1],"i":[1,-1,18446744073709551615],"s":"é😀\\u0001","10":1,"9":2,"\uFB00":3,"😀":4},"version":4}')],
  ['fixed-text-git', JSON.stringify({
    args: [], builder: '/bin/sh', env: {}, inputs: { drvs: {}, srcs: [] }, name: 'fixed-git',
    outputs: { out: { hash: 'sha1-qUqP5cyxm6YcTAhz05Hph5gvu9M=', method: 'git' } }, system: 'x86_64-linux', version: 4,
  })],
  ['fixed-text', JSON.stringify({
    args: [], builder: '/bin/sh', env: {}, inputs: { drvs: {}, srcs: [] }, name: 'fixed-text',
    outputs: { out: { hash: 'sha256-iUUXyRY8iW7DGirb0zwGgf1fRbLA7wimTJKgP7l/OQ8=', method: 'text' } }, system: 'x86_64-linux', version: 4,
  })],
  ['impure-and-floating', JSON.stringify({
    args: [], builder: '/bin/sh', env: { out: '' }, inputs: { drvs: {}, srcs: [] }, name: 'impure',
    outputs: { out: { hashAlgo: 'sha256', impure: true, method: 'nar' } }, system: 'x86_64-linux', version: 4,
  })],
]
