/**
 * After the builder exits: C++ `registerOutputs` (derivation-builder.cc). For each output
 * left in the scratch store: existence and top-level ownership checks, canonicalisation,
 * one NAR pass that hashes, scans for references and ingests into castore, the content
 * address of CA outputs modulo self-references (and the rewrite to their final name), the
 * derivation's output checks, then — in check mode — the comparison with the registered
 * output, otherwise the move into the real store and registration (deriver, references,
 * `ultimate`, signatures). Nothing is moved or registered before every check passed, except
 * a fixed-output result with the wrong hash, which C++ also keeps (under its own path).
 */
import { lstat } from 'node:fs/promises'
import { type DerivationOptions, type DerivationOutput } from '../derivation/index.js'
import { dumpPath, hashFile } from '../nar/index.js'
import { canonicalise, CanonicaliseError } from '../sandbox/index.js'
import { signPathInfo, type SecretKey } from '../signing/index.js'
import {
  BuildStatus, type ContentAddress, createHasher, HashModuloSink, type NixHash, type PathInfo, RefScanner, referencedPaths,
  storePathForContentAddress, type StorePath, outputPathName,
} from '../store-path/index.js'
import type { BuildMode } from '../store/types.js'
import { checkOutputs } from './checks.js'
import { BuildError } from './errors.js'
import { deleteTree, exists, movePath, rewriteTree } from './fs-util.js'
import { hl } from './messages.js'
import type { BuilderStore } from './types.js'

/** An output as the builder left it. */
export interface ScratchOutput {
  readonly name: string
  readonly output: DerivationOutput
  /** The store path the builder wrote (`$out` in the build). */
  readonly scratchPath: StorePath
  /** The path it must end up at, when known before the build (input-addressed, fixed). */
  readonly knownPath: StorePath | undefined
  /** Where the builder's result is on the host. */
  readonly hostPath: string
  /** Valid before the build: left alone (normal mode), compared (check), replaced (repair). */
  readonly alreadyValid: boolean
}

export interface RegisterOutputsOptions {
  readonly store: BuilderStore
  readonly drvPath: StorePath
  readonly drvName: string
  readonly outputs: readonly ScratchOutput[]
  /** The input closure: reference candidates besides the outputs themselves. */
  readonly inputClosure: readonly StorePath[]
  readonly options: DerivationOptions
  readonly mode: BuildMode
  readonly keepFailed: boolean
  /** Host uid the builder ran as (its files must be owned by it); undefined: not checked. */
  readonly builderUid: number | undefined
  readonly signingKeys: readonly SecretKey[]
  readonly signal?: AbortSignal | undefined
}

interface Scanned {
  readonly out: ScratchOutput
  /** Hash parts found. */
  readonly found: Set<string>
  /** NAR hash and size of the tree as it is now. */
  tree: { narHash: NixHash; narSize: number }
  /** Hash modulo the scratch hash part, for `nar` CA outputs (computed in the same pass). */
  modulo: NixHash | undefined
}

/** Final path of each output (all outputs, including those that were already valid). */
export async function registerOutputs(o: RegisterOutputsOptions): Promise<Map<string, StorePath>> {
  const { store } = o
  const sd = store.storeDir
  const drv = sd.print(o.drvPath)
  const result = new Map<string, StorePath>()
  const active = o.outputs.filter(x => !(x.alreadyValid && o.mode === 'normal'))
  for (const x of o.outputs) if (x.alreadyValid && o.mode === 'normal') result.set(x.name, x.knownPath!)

  // 1. Present, plausibly owned, canonical.
  const inodes = new Set<string>()
  for (const x of active) {
    let st
    try { st = await lstat(x.hostPath) } catch {
      throw new BuildError(BuildStatus.OutputRejected, `builder for '${hl(drv)}' failed to produce output path for output '${hl(x.name)}' at ${hl(JSON.stringify(x.hostPath))}`)
    }
    if ((!st.isSymbolicLink() && (st.mode & 0o022) !== 0) || (o.builderUid !== undefined && st.uid !== o.builderUid)) {
      throw new BuildError(BuildStatus.OutputRejected, `suspicious ownership or permission on '${hl(x.hostPath)}' for output '${hl(x.name)}'; rejecting this build output`)
    }
    try {
      await canonicalise(x.hostPath, { ...(o.builderUid !== undefined ? { buildUid: o.builderUid } : {}), inodesSeen: inodes })
    } catch (e) {
      if (e instanceof CanonicaliseError) throw new BuildError(BuildStatus.OutputRejected, e.message)
      throw e
    }
  }

  // 2. One pass per output: NAR hash, references, castore, and hash modulo for CA.
  const candidates = [...o.inputClosure, ...o.outputs.map(x => x.scratchPath)]
  const candidateHashes = candidates.map(p => p.hashPart)
  const scanned = new Map<string, Scanned>()
  for (const x of active) scanned.set(x.name, await scanOutput(o, x, candidateHashes))

  // 3. Outputs referring to other outputs are finished after them; cycles are errors.
  const order = sortOutputs(drv, active, scanned)

  // 4. Final path info per output.
  const rewrites = new Map<string, string>() // scratch hash part → final hash part
  const infos = new Map<string, PathInfo>()
  let delayed: BuildError | undefined
  for (const x of order) {
    let s = scanned.get(x.name)!
    const discard = o.options.unsafeDiscardReferences.get(x.name) === true
    // Earlier outputs that got a new name must be renamed inside this one first.
    const pending = new Map([...rewrites].filter(([from, to]) => from !== to && s.found.has(from)))
    if (pending.size > 0) {
      await rewriteTree(x.hostPath, pending)
      s = await scanOutput(o, x, candidateHashes)
    }
    const refsOf = (self: StorePath): { others: StorePath[]; self: boolean } => {
      if (discard) return { others: [], self: false }
      let hasSelf = false
      const others: StorePath[] = []
      for (const p of referencedPaths(candidates, s.found)) {
        if (p.equals(x.scratchPath)) { hasSelf = true; continue }
        const renamed = rewrites.get(p.hashPart)
        others.push(renamed !== undefined ? outputByHash(o.outputs, infos, renamed) ?? p : p)
      }
      void self
      return { others, self: hasSelf }
    }

    let info: PathInfo
    const kind = x.output.kind
    if (kind === 'inputAddressed' || kind === 'deferred') {
      const path = x.knownPath!
      if (!path.equals(x.scratchPath) && s.found.has(x.scratchPath.hashPart)) {
        // Built under a stand-in name (unsandboxed check/repair): give it its real name back.
        await rewriteTree(x.hostPath, new Map([[x.scratchPath.hashPart, path.hashPart]]))
        s = await scanOutput(o, x, candidateHashes)
      }
      rewrites.set(x.scratchPath.hashPart, path.hashPart)
      const refs = refsOf(path)
      info = mkInfo(path, s, [...refs.others, ...(refs.self ? [path] : [])], undefined, o.drvPath)
    } else if (kind === 'caFixed' || kind === 'caFloating' || kind === 'impure') {
      const method = kind === 'caFixed' ? x.output.ca.method : x.output.method
      const algo = kind === 'caFixed' ? x.output.ca.hash.algo : x.output.hashAlgo
      let got: NixHash
      if (method === 'flat' || method === 'text') {
        const st = await lstat(x.hostPath)
        if (!st.isFile() || (st.mode & 0o100) !== 0) {
          throw new BuildError(BuildStatus.OutputRejected, `output path '${hl(x.hostPath)}' should be a non-executable regular file since recursive hashing is not enabled (one of outputHashMode or outputHash.mode must be "recursive")`)
        }
        got = method === 'text' ? (await hashFile(x.hostPath, algo)).hash : await flatModulo(x.hostPath, algo, x.scratchPath.hashPart)
      } else if (method === 'nar') {
        got = s.modulo!
      } else {
        throw new BuildError(BuildStatus.OutputRejected, `output '${x.name}' uses the git ingestion method, which tsnix does not support`)
      }
      const refs = refsOf(x.scratchPath)
      const ca: ContentAddress = { method, hash: got }
      let path: StorePath
      try {
        path = storePathForContentAddress(sd, outputPathName(o.drvName, x.name), ca, refs.others, refs.self)
      } catch (e) {
        throw new BuildError(BuildStatus.OutputRejected, (e as Error).message)
      }
      if (!path.equals(x.scratchPath) && refs.self) {
        await rewriteTree(x.hostPath, new Map([[x.scratchPath.hashPart, path.hashPart]]))
        s = await scanOutput(o, x, candidateHashes)
      }
      rewrites.set(x.scratchPath.hashPart, path.hashPart)
      info = mkInfo(path, s, [...refs.others, ...(refs.self ? [path] : [])], ca, o.drvPath)
      if (kind === 'caFixed') {
        const wanted = x.output.ca.hash
        if (!wanted.equals(got)) {
          delayed ??= new BuildError(BuildStatus.OutputRejected,
            `hash mismatch in fixed-output derivation '${hl(drv)}':\n  specified: ${hl(wanted.toSRI())}\n     got:    ${hl(got.toSRI())}`)
        }
        if (info.references.length > 0) {
          delayed ??= new BuildError(BuildStatus.OutputRejected,
            `fixed-output derivations must not reference store paths: '${hl(drv)}' references ${hl(info.references.length)} distinct paths, e.g. '${hl(sd.print(info.references[0]!))}'`)
        }
      }
    } else {
      throw new BuildError(BuildStatus.OutputRejected, `unknown output kind of '${x.name}'`)
    }
    infos.set(x.name, info)
  }

  // 5. Check mode: compare with what is registered, then stop.
  if (o.mode === 'check') {
    for (const x of order) {
      const info = infos.get(x.name)!
      const old = await store.queryPathInfo(info.path)
      if (!old) continue
      if (!old.narHash.equals(info.narHash)) {
        const real = `${store.realStoreDir}/${info.path.baseName}`
        if (o.keepFailed) {
          const dst = `${real}.check`
          await deleteTree(dst)
          await movePath(x.hostPath, dst)
          throw new BuildError(BuildStatus.NotDeterministic, `derivation '${hl(drv)}' may not be deterministic: output ${hl(JSON.stringify(real))} differs from ${hl(JSON.stringify(dst))}`)
        }
        throw new BuildError(BuildStatus.NotDeterministic, `derivation '${hl(drv)}' may not be deterministic: output ${hl(JSON.stringify(real))} differs`)
      }
      if (!old.ultimate) {
        const sigs = o.signingKeys.map(k => signPathInfo(sd, old, k))
        await store.registerBuiltOutputs([{ info: { ...old, ultimate: true, sigs: [...new Set([...old.sigs, ...sigs])] } }])
      }
      result.set(x.name, info.path)
    }
    return result
  }

  // 6. Output checks (before anything lands in the store), then move and register.
  if (!delayed) await checkOutputs({ storeDir: sd, queryPathInfo: p => store.queryPathInfo(p) }, o.options.outputChecks, infos)
  const register: Array<{ info: PathInfo }> = []
  for (const x of order) {
    const info0 = infos.get(x.name)!
    const info = { ...info0, sigs: o.signingKeys.map(k => signPathInfo(sd, info0, k)) }
    const real = `${store.realStoreDir}/${info.path.baseName}`
    const isCa = info.ca !== undefined
    if (isCa && !x.alreadyValid && (await store.isValidPath(info.path)) && o.mode !== 'repair') {
      // Same content address: someone already has it; ours is not needed.
      await deleteTree(x.hostPath)
    } else if (x.hostPath !== real) {
      if (await exists(real)) {
        if (o.mode === 'repair' || !(await store.isValidPath(info.path))) {
          const aside = `${real}.old-${process.pid}-${Date.now()}`
          await movePath(real, aside)
          await movePath(x.hostPath, real)
          await deleteTree(aside)
        } else {
          await deleteTree(x.hostPath)
        }
      } else {
        await movePath(x.hostPath, real)
      }
    }
    register.push({ info })
    result.set(x.name, info.path)
  }
  await store.registerBuiltOutputs(register)
  if (delayed) throw delayed
  return result
}

function mkInfo(path: StorePath, s: Scanned, references: StorePath[], ca: ContentAddress | undefined, deriver: StorePath): PathInfo {
  const refs = [...new Map(references.map(r => [r.baseName, r])).values()].sort((a, b) => (a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0))
  return { path, deriver, narHash: s.tree.narHash, narSize: s.tree.narSize, references: refs, registrationTime: 0, ultimate: true, sigs: [], ca }
}

function outputByHash(outputs: readonly ScratchOutput[], infos: ReadonlyMap<string, PathInfo>, hashPart: string): StorePath | undefined {
  for (const x of outputs) {
    const i = infos.get(x.name)
    if (i && i.path.hashPart === hashPart) return i.path
  }
  return undefined
}

/**
 * Dump the output once: NAR hash and size, references and (CA outputs) the hash modulo the
 * scratch hash part. Castore ingestion happens after registration, off the build's path.
 */
async function scanOutput(o: RegisterOutputsOptions, x: ScratchOutput, candidates: readonly string[]): Promise<Scanned> {
  const scanner = new RefScanner(candidates)
  const kind = x.output.kind
  const caNar = (kind === 'caFixed' && x.output.ca.method === 'nar') || ((kind === 'caFloating' || kind === 'impure') && x.output.method === 'nar')
  const algo = kind === 'caFixed' ? x.output.ca.hash.algo : kind === 'caFloating' || kind === 'impure' ? x.output.hashAlgo : 'sha256'
  const modulo = caNar ? new HashModuloSink(algo, x.scratchPath.hashPart) : undefined
  const sha = createHasher('sha256')
  let size = 0
  // recycle: each piece is consumed before the next is produced.
  for await (const c of dumpPath(x.hostPath, { sync: true, recycle: true, ...(o.signal ? { signal: o.signal } : {}) })) {
    scanner.push(c)
    modulo?.push(c)
    sha.update(c)
    size += c.length
  }
  return { out: x, found: new Set(scanner.found), tree: { narHash: sha.digest(), narSize: size }, modulo: modulo?.finish().hash }
}

async function flatModulo(path: string, algo: NixHash['algo'], modulus: string): Promise<NixHash> {
  const { createReadStream } = await import('node:fs')
  const h = new HashModuloSink(algo, modulus)
  for await (const c of createReadStream(path) as AsyncIterable<Buffer>) h.push(c)
  return h.finish().hash
}

/** C++ `topoSort` of the outputs by their references to each other. */
function sortOutputs(drv: string, outputs: readonly ScratchOutput[], scanned: ReadonlyMap<string, Scanned>): ScratchOutput[] {
  const byHash = new Map(outputs.map(x => [x.scratchPath.hashPart, x]))
  const done = new Set<string>()
  const out: ScratchOutput[] = []
  const visit = (x: ScratchOutput, stack: string[]): void => {
    if (done.has(x.name)) return
    if (stack.includes(x.name)) {
      throw new BuildError(BuildStatus.OutputRejected, `cycle detected in build of '${hl(drv)}' in the references of output '${hl(stack[stack.length - 1]!)}' from output '${hl(x.name)}'`)
    }
    for (const h of scanned.get(x.name)!.found) {
      const dep = byHash.get(h)
      if (dep && dep !== x) visit(dep, [...stack, x.name])
    }
    done.add(x.name)
    out.push(x)
  }
  for (const x of [...outputs].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(x, [])
  return out
}
