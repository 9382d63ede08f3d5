/**
 * `derivationStrict`, the `derivation` wrapper and `outputOf` (C++ primops.cc "Derivations",
 * `derivationStrictInternal`, and primops/derivation.nix).
 *
 * The attribute set becomes a store derivation: attributes are visited in byte order, `args`
 * goes to the builder's arguments, `__structuredAttrs` turns everything else into one JSON
 * object, the other attributes into environment variables; the string contexts met on the way
 * become `inputSrcs`/`inputDrvs`. The output paths and the `.drv` path come from
 * src/derivation (`instantiateDerivation`); the `.drv` is written through
 * the injected store unless it is read-only.
 */
import {
  type Derivation, type DerivationOutput, type DerivedPathMapNode, DownstreamPlaceholder, type InputDrv,
  type InstantiatedDerivation, StructuredAttrs, instantiateDerivation, outputPath, parseJson, type JsonObject, type JsonValue,
} from '../../derivation/index.js'
import { type ContentAddressMethod, type HashAlgo, InvalidPathError, StorePath, checkName, hasNonAscii } from '../../store-path/index.js'
import { EvalError } from '../errors.js'
import type { EvalState } from '../eval-state.js'
import { type JsonHandler, JsonSyntaxError, parseJsonText } from '../json-parse.js'
import { type PosIdx, noPos } from '../pos.js'
import { Attrs, compareBytes, type ContextElem, NixString, type Value, binaryToUtf8, utf8ToBinary } from '../value.js'
import { valueToJSON } from './json.js'
import type { BuiltinGroup } from './registry.js'
import {
  computeFSClosure, newHashAllowEmpty, parseHashAlgoOpt, readDerivation, readStoreDerivation, requireFeature, storeSession, isReadOnly,
} from './store-common.js'

/**
 * The `derivation` function, as C++ Nix 2.34 ships it (`«nix-internal»/derivation-internal.nix`).
 * Its code lines sit on the same line numbers as upstream's, because error traces print them.
 */
export const DERIVATION_NIX = `
# The \`derivation\` builtin: a Nix-level wrapper over the \`derivationStrict\` primop.
#
# \`derivationStrict\` takes the attribute set, builds the store derivation and returns
# its \`drvPath\` and one attribute per output with that output's path. This wrapper
# returns instead the attribute set itself, extended so that it stands for one output:
#
#   - every output name is an attribute holding the same set for that output,
#   - \`all\` lists those per-output sets, \`drvAttrs\` is the argument,
#   - \`outPath\`, \`drvPath\`, \`outputName\` and \`type = "derivation"\` are added.
#
# Only \`outPath\` and \`drvPath\` force \`derivationStrict\`, so forcing a derivation
# value to weak head normal form does not evaluate its attributes.
#
# The first output listed in \`outputs\` (default \`[ "out" ]\`) is the one returned.
#
# This text reproduces the layout of C++ Nix 2.34's derivation.nix: the lines of
# code below are at the same line numbers, which error traces show.
#
#
#
#
#
#
#
#
#
#
#
drvAttrs@{
  outputs ? [ "out" ],
  ...
}:

let

  strict = derivationStrict drvAttrs;

  commonAttrs =
    drvAttrs
    // (builtins.listToAttrs outputsList)
    // {
      all = map (x: x.value) outputsList;
      inherit drvAttrs;
    };

  outputToAttrListElement = outputName: {
    name = outputName;
    value = commonAttrs // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };

  outputsList = map outputToAttrListElement outputs;

in
(builtins.head outputsList).value
`

const DERIVATION_PATH = '\xc2\xabnix-internal\xc2\xbb/derivation-internal.nix'

/** Bytes (binary string) → the JS string src/derivation works with; ASCII needs no decoding. */
function u(s: string): string {
  return hasNonAscii(s) ? binaryToUtf8(s) : s
}

/** Attributes that structured attrs make ineffective (C++ warns about each). */
const OUTPUT_CHECKS = ['allowedReferences', 'allowedRequisites', 'disallowedReferences', 'disallowedRequisites', 'maxSize', 'maxClosureSize']

function prefixed(e: unknown, pos: PosIdx, hint: string): unknown {
  if (e instanceof EvalError) e.addTrace(pos, hint)
  return e
}

function derivationStrict(st: EvalState, args: Value[], pos: PosIdx): Value {
  const attrs = st.forceAttrs(args[0]!, pos, 'while evaluating the argument passed to builtins.derivationStrict')
  const nameV = attrs.get('name')
  if (nameV === undefined) {
    const e = new EvalError("attribute 'name' missing")
    e.addTrace(noPos, 'in the attrset passed as argument to builtins.derivationStrict')
    throw e
  }
  const namePos = attrs.posOf('name')
  let drvName: string
  try {
    drvName = st.forceStringNoCtx(nameV, pos, 'while evaluating the `name` attribute passed to builtins.derivationStrict')
  } catch (e) {
    throw prefixed(e, namePos, "while evaluating the derivation attribute 'name'")
  }
  try {
    checkDrvName(drvName)
    return finishDerivation(st, collectAttrs(st, drvName, attrs))
  } catch (e) {
    throw prefixed(e, noPos, `while evaluating derivation '${drvName}'\n  whose name attribute is located at ${st.showPosIdx(namePos)}`)
  }
}

/** The JSON type of a document (nlohmann's names), checking its syntax as the fromJSON parser does. */
const JSON_KIND: JsonHandler<string> = {
  string: () => 'string', integer: () => 'number', float: () => 'number', bool: () => 'boolean', null: () => 'null',
  array: () => 'array', object: () => 'object', key: () => undefined,
}

/**
 * `__json` as C++ reads it (nlohmann `json::parse`): a JSON object, with nlohmann's errors
 * otherwise. `bytes` is the evaluator's binary string (what the fromJSON parser reads).
 */
function parseJsonEnv(bytes: string): StructuredAttrs {
  let kind: string
  try {
    kind = parseJsonText(bytes, JSON_KIND)
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new EvalError(`cannot process __json attribute: ${e.message}`)
    throw e
  }
  if (kind !== 'object') throw new EvalError(`cannot process __json attribute: [json.exception.type_error.302] type must be object, but is ${kind}`)
  // C++ keeps the parsed object and writes its dump into the .drv (so `"\u00e9"` and `"é"` make
  // the same derivation), not the text as written
  let attrs: JsonValue
  try {
    attrs = parseJson(u(bytes))
  } catch (e) {
    throw new EvalError(`cannot process __json attribute: ${(e as Error).message}`)
  }
  return StructuredAttrs.fromValue(attrs as JsonObject)
}

/** Mutable form of an `inputDrvs` entry while the context is collected. */
interface NodeBuilder { outputs: Set<string>; dynamic: Map<string, NodeBuilder> }

function newNode(): NodeBuilder { return { outputs: new Set(), dynamic: new Map() } }

const NO_DYNAMIC: ReadonlyMap<string, DerivedPathMapNode> = new Map()

function freezeNode(n: NodeBuilder): DerivedPathMapNode {
  const dynamicOutputs = n.dynamic.size === 0 ? NO_DYNAMIC : new Map([...n.dynamic].map(([k, v]) => [k, freezeNode(v)]))
  return { outputs: [...n.outputs], dynamicOutputs }
}

/** `!o1!!o2!/…drv` → root drv path and the chain of outputs, outermost last. */
function splitBuilt(elem: string): { drvPath: string; chain: string[] } {
  const chain: string[] = []
  let rest = elem
  while (rest.startsWith('!')) {
    const i = rest.indexOf('!', 1)
    chain.push(rest.slice(1, i))
    rest = rest.slice(i + 1)
  }
  return { drvPath: rest, chain: chain.reverse() }
}

/**
 * What the attributes give, gathered by `collectAttrs` (C++ `derivationStrictInternal` keeps
 * them as locals). An object rather than locals: evaluating an attribute may instantiate other
 * derivations, so this function's frame sits on the JS stack once per level of dependencies,
 * and a small frame lets chains of dependent derivations go deeper.
 */
class DrvAttrs {
  readonly context = new Set<ContextElem>()
  readonly env = new Map<string, string>()
  readonly args: string[] = []
  builder = ''
  platform = ''
  /** `__json` as written (a binary string: one char per byte). */
  jsonEnv: string | undefined = undefined
  structured: Map<string, JsonValue> | undefined = undefined
  contentAddressed = false
  impure = false
  outputHash: string | undefined = undefined
  outputHashAlgo: HashAlgo | undefined = undefined
  ingestionMethod: ContentAddressMethod | undefined = undefined
  outputs = new Set<string>(['out'])
  constructor(readonly drvName: string) {}
}

function checkDrvName(drvName: string): void {
  try {
    checkName(drvName)
  } catch (e) {
    throw new EvalError(`invalid derivation name: ${(e as Error).message}. Please pass a different 'name'.`)
  }
}

function handleHashMode(st: EvalState, d: DrvAttrs, s: string): void {
  if (s === 'recursive' || s === 'nar') d.ingestionMethod = 'nar'
  else if (s === 'flat' || s === 'text' || s === 'git') d.ingestionMethod = s
  else throw new EvalError(`invalid value '${s}' for 'outputHashMode' attribute`)
  if (d.ingestionMethod === 'text') requireFeature(st, 'dynamic-derivations', `text-hashed derivation '${d.drvName}', outputHashMode = "text"`)
  if (d.ingestionMethod === 'git') requireFeature(st, 'git-hashing')
}

function handleOutputs(d: DrvAttrs, ss: readonly string[]): void {
  const outputs = new Set<string>()
  for (const j of ss) {
    if (outputs.has(j)) throw new EvalError(`duplicate derivation output '${j}'`)
    if (j === 'drvPath') throw new EvalError("invalid derivation output name 'drvPath'")
    outputs.add(j)
  }
  if (outputs.size === 0) throw new EvalError('derivation cannot have an empty set of outputs')
  d.outputs = outputs
}

/** The attributes, in byte order, into environment, arguments, context and settings. */
function collectAttrs(st: EvalState, drvName: string, attrs: Attrs): DrvAttrs {
  const d = new DrvAttrs(drvName)
  const sa = attrs.get('__structuredAttrs')
  if (sa !== undefined && st.forceBool(sa, noPos, 'while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict')) d.structured = new Map()
  const inv = attrs.get('__ignoreNulls')
  const ignoreNulls = inv !== undefined && st.forceBool(inv, noPos, 'while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict')
  for (const key of attrs.keys()) {
    if (key === '__ignoreNulls') continue
    try {
      collectAttr(st, d, key, attrs.get(key)!, ignoreNulls)
    } catch (e) {
      throw prefixed(e, attrs.posOf(key), `while evaluating attribute '${key}' of derivation '${drvName}'`)
    }
  }
  return d
}

function collectAttr(st: EvalState, d: DrvAttrs, key: string, v: Value, ignoreNulls: boolean): void {
  if (ignoreNulls && st.force(v, noPos) === null) return
  if (key === '__contentAddressed') {
    if (st.forceBool(v, noPos, '')) { d.contentAddressed = true; requireFeature(st, 'ca-derivations') }
  } else if (key === '__impure') {
    if (st.forceBool(v, noPos, '')) { d.impure = true; requireFeature(st, 'impure-derivations') }
  } else if (key === 'args') {
    for (const elem of st.forceList(v, noPos, '')) {
      d.args.push(u(st.coerceToString(noPos, elem, d.context, 'while evaluating an element of the argument list', true)))
    }
  } else if (d.structured !== undefined) {
    if (key !== '__structuredAttrs') collectStructured(st, d, key, v)
  } else {
    const s = st.coerceToString(noPos, v, d.context, '', true)
    if (key === '__json') {
      st.warn(`In derivation '${d.drvName}': setting structured attributes via '__json' is deprecated, and may be disallowed in future versions of Nix. Set '__structuredAttrs = true' instead.`)
      d.jsonEnv = s
      return
    }
    const value = u(s)
    d.env.set(u(key), value)
    switch (key) {
      case 'builder': d.builder = value; break
      case 'system': d.platform = value; break
      case 'outputHash': d.outputHash = s; break
      case 'outputHashAlgo': d.outputHashAlgo = parseHashAlgoOpt(st, s); break
      case 'outputHashMode': handleHashMode(st, d, s); break
      case 'outputs': handleOutputs(d, s.split(/[ \t\n\r]+/).filter(x => x !== '')); break
    }
  }
}

function collectStructured(st: EvalState, d: DrvAttrs, key: string, v: Value): void {
  d.structured!.set(u(key), parseJson(u(valueToJSON(st, v, noPos, d.context, true))))
  switch (key) {
    case 'builder': {
      const r = st.forceStringCtx(v, noPos, '')
      if (r.ctx !== undefined) for (const c of r.ctx) d.context.add(c)
      d.builder = u(r.s)
      break
    }
    case 'system': d.platform = u(st.forceStringNoCtx(v, noPos, '')); break
    case 'outputHash': d.outputHash = st.forceStringNoCtx(v, noPos, ''); break
    case 'outputHashAlgo': d.outputHashAlgo = parseHashAlgoOpt(st, st.forceStringNoCtx(v, noPos, '')); break
    case 'outputHashMode': handleHashMode(st, d, st.forceStringNoCtx(v, noPos, '')); break
    case 'outputs': handleOutputs(d, st.forceList(v, noPos, '').map(x => st.forceStringNoCtx(x, noPos, ''))); break
  }
  if (OUTPUT_CHECKS.includes(key)) {
    st.warn(`In a derivation named '${d.drvName}', 'structuredAttrs' disables the effect of the derivation attribute '${key}'; use 'outputChecks.<output>.${key}' instead`)
  }
}

/** The derivation from what the attributes gave: inputs, outputs, paths; written unless read-only. */
function finishDerivation(st: EvalState, d: DrvAttrs): Value {
  const { drvName, context, env, builder, platform, outputHash, outputHashAlgo, ingestionMethod, outputs, contentAddressed, impure } = d
  const drvArgs = d.args
  const session = storeSession(st)
  const storeDir = session.storeDir

  let structuredAttrs: StructuredAttrs | undefined
  if (d.structured !== undefined) structuredAttrs = StructuredAttrs.fromValue(d.structured)
  else if (d.jsonEnv !== undefined) {
    structuredAttrs = parseJsonEnv(d.jsonEnv)
  }

  // Context → inputs. C++ visits the context in std::set order: opaque paths, then whole
  // closures (`=drv`: all outputs of each derivation in it), then single outputs — the same
  // result as closures first and single outputs added after, which needs no sorting.
  const inputSrcs = new Map<string, StorePath>()
  const inputDrvs = new Map<string, { path: StorePath; node: NodeBuilder }>()
  const drvNode = (p: string): NodeBuilder => {
    let d = inputDrvs.get(p)
    if (d === undefined) { d = { path: storeDir.parse(p), node: newNode() }; inputDrvs.set(p, d) }
    return d.node
  }
  let built: string[] | undefined
  for (const c of context) {
    const c0 = c.charCodeAt(0)
    if (c0 === 0x21 /* ! */) (built ??= []).push(c)
    else if (c0 === 0x3d /* = */) {
      for (const j of computeFSClosure(st, c.slice(1))) {
        if (!inputSrcs.has(j)) inputSrcs.set(j, storeDir.parse(j))
        if (j.endsWith('.drv')) drvNode(j).outputs = new Set(readDerivation(st, j).outputs.keys())
      }
    } else if (!inputSrcs.has(c)) inputSrcs.set(c, storeDir.parse(c))
  }
  if (built !== undefined) {
    for (const c of built) {
      const i = c.indexOf('!', 1)
      if (c.charCodeAt(i + 1) !== 0x21) { drvNode(c.slice(i + 1)).outputs.add(c.slice(1, i)); continue }
      // `!o2!!o1!/…drv`: output o2 of the derivation that output o1 is (dynamic derivations)
      const { drvPath, chain } = splitBuilt(c)
      let node = drvNode(drvPath)
      for (let k = 0; k < chain.length - 1; k++) {
        const o = chain[k]!
        let next = node.dynamic.get(o)
        if (next === undefined) { next = newNode(); node.dynamic.set(o, next) }
        node = next
      }
      node.outputs.add(chain[chain.length - 1]!)
    }
  }

  if (builder === '') throw new EvalError("required attribute 'builder' missing")
  if (platform === '') throw new EvalError("required attribute 'system' missing")
  if (drvName.endsWith('.drv') && !(ingestionMethod === 'text' && outputs.size === 1 && outputs.has('out'))) {
    throw new EvalError("derivation names are allowed to end in '.drv' only if they produce a single derivation file")
  }

  const drvOutputs = new Map<string, DerivationOutput>()
  if (outputHash !== undefined) {
    if (outputs.size !== 1 || !outputs.has('out')) throw new EvalError('multiple outputs are not supported in fixed-output derivations')
    const hash = newHashAllowEmpty(st, outputHash, outputHashAlgo)
    drvOutputs.set('out', { kind: 'caFixed', ca: { method: ingestionMethod ?? 'flat', hash } })
  } else if (contentAddressed || impure) {
    if (contentAddressed && impure) throw new EvalError('derivation cannot be both content-addressed and impure')
    const hashAlgo = outputHashAlgo ?? 'sha256'
    const method = ingestionMethod ?? 'nar'
    for (const o of outputs) drvOutputs.set(u(o), impure ? { kind: 'impure', method, hashAlgo } : { kind: 'caFloating', method, hashAlgo })
  } else {
    for (const o of outputs) drvOutputs.set(u(o), { kind: 'deferred' })
  }

  const draft: Derivation = {
    name: u(drvName),
    outputs: drvOutputs,
    inputSrcs: [...inputSrcs.values()],
    inputDrvs: [...inputDrvs.values()].map((d): InputDrv => ({ path: d.path, ...freezeNode(d.node) })),
    platform,
    builder,
    args: drvArgs,
    env,
    ...(structuredAttrs !== undefined ? { structuredAttrs } : {}),
  }
  let made: InstantiatedDerivation
  try {
    made = instantiateDerivation(draft, session.drvHashes.lookup, storeDir)
  } catch (e) {
    if (e instanceof EvalError) throw e
    // The derivation layer's text (names in it were converted from the evaluator's bytes). A
    // refused path is checked again as bytes: C++ names the first byte of a bad character.
    if (e instanceof InvalidPathError && e.baseName !== undefined) {
      try { StorePath.fromBaseName(utf8ToBinary(e.baseName)) } catch (b) { throw new EvalError((b as Error).message) }
    }
    throw new EvalError(utf8ToBinary((e as Error).message))
  }
  const { drv, info } = made
  const drvPathS = storeDir.print(info.path)
  if (!isReadOnly(st)) {
    st.io.store!.addTextToStore!(drvPathS, Buffer.from(info.text, 'utf8'), info.references.map(r => storeDir.print(r)))
  }
  // as C++ (drvHashes): the hash modulo dependents need, computed with the rest
  session.drvHashes.set(info.path, made.drvHash)
  session.derivations.set(drvPathS, drv)

  const result = new Map<string, Value>()
  result.set('drvPath', new NixString(drvPathS, new Set([`=${drvPathS}`])))
  // C++ keeps outputs in a std::map: their names become symbols in byte order
  for (const [name, o] of [...drv.outputs].sort(([a], [b]) => compareBytes(a, b))) {
    const known = outputPath(storeDir, drv.name, name, o)
    const s = known !== undefined ? storeDir.print(known) : DownstreamPlaceholder.unknownCaOutput(info.path, name).render()
    const bname = st.symbols.internAndGet(utf8ToBinary(name))
    result.set(bname, new NixString(s, new Set([`!${bname}!${drvPathS}`])))
  }
  return new Attrs(result)
}

// ---- builtins.outputOf (dynamic derivations) ------------------------------------------------

/** C++ `coerceToSingleDerivedPath`: a string whose context is exactly one opaque or built element. */
function coerceToSingleDerivedPath(st: EvalState, pos: PosIdx, v: Value, errCtx: string): string {
  const ctx = new Set<ContextElem>()
  const s = st.coerceToString(pos, v, ctx, errCtx, false, false)
  if (ctx.size !== 1) throw new EvalError(`string '${s}' has ${ctx.size} entries in its context. It should only have exactly one entry`, pos).addTrace(pos, errCtx)
  const elem = [...ctx][0]!
  if (elem.startsWith('=')) {
    throw new EvalError(`string '${s}' has a context which refers to a complete source and binary closure. This is not supported at this time`, pos).addTrace(pos, errCtx)
  }
  const expected = singleDerivedPathString(st, elem)
  if (s !== expected) {
    if (!elem.startsWith('!')) throw new EvalError(`path string '${s}' has context with the different path '${expected}'`, pos).addTrace(pos, errCtx)
    const i = elem.indexOf('!', 1)
    throw new EvalError(`string '${s}' has context with the output '${elem.slice(1, i)}' from derivation '${elem.slice(i + 1)}', but the string is not the right placeholder for this derivation output. It should be '${expected}'`, pos)
      .addTrace(pos, errCtx)
  }
  return elem
}

/** C++ `mkSingleDerivedPathStringRaw`. */
function singleDerivedPathString(st: EvalState, elem: string): string {
  const session = storeSession(st)
  if (!elem.startsWith('!')) return elem
  const { drvPath, chain } = splitBuilt(elem)
  if (chain.length === 1) {
    const drv = readStoreDerivation(st, drvPath)
    const out = u(chain[0]!)
    const o = drv.outputs.get(out)
    if (o === undefined) throw new EvalError(`derivation '${drvPath}' does not have output '${chain[0]!}'`)
    const known = outputPath(session.storeDir, drv.name, out, o)
    if (known !== undefined) return session.storeDir.print(known)
  }
  requireFeature(st, 'ca-derivations')
  return DownstreamPlaceholder.forChain(session.storeDir.parse(drvPath), chain.map(binaryToUtf8) as [string, ...string[]]).render()
}

function outputOf(st: EvalState, args: Value[], pos: PosIdx): Value {
  const elem = coerceToSingleDerivedPath(st, pos, args[0]!, 'while evaluating the first argument to builtins.outputOf')
  const out = st.forceStringNoCtx(args[1]!, pos, 'while evaluating the second argument to builtins.outputOf')
  const built = `!${out}!${elem}`
  return new NixString(singleDerivedPathString(st, built), new Set([built]))
}

export const derivationBuiltins: BuiltinGroup = {
  name: 'derivations',
  primops: [
    { name: 'derivationStrict', arity: 1, impl: derivationStrict },
    { name: '__outputOf', arity: 2, args: ['derivation-reference', 'output-name'], impl: outputOf, experimentalFeature: 'dynamic-derivations' },
  ],
  nixSources: [{ name: 'derivation', path: DERIVATION_PATH, source: DERIVATION_NIX }],
}
