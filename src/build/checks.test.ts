/**
 * Output checks (C++ derivation-check.cc): expectations worked out from that code — absent
 * allow-lists mean no check, empty ones allow nothing; requisites follow the closure, with
 * the output itself left out under `ignoreSelfRefs` (environment form); output names stand
 * for this build's outputs; messages list the offending paths sorted, one per line.
 */
import assert from 'node:assert/strict'
import type { DerivationOptions, DrvRef, OutputChecks } from '../derivation/index.js'
import { BuildStatus, NixHash, type PathInfo, StoreDir, StorePath } from '../store-path/index.js'
import { checkOutputs } from './checks.js'
import { BuildError } from './errors.js'

const sd = new StoreDir()
const p = (c: string, name: string) => StorePath.fromParts(c.repeat(32), name)
const A = p('a', 'a')
const B = p('b', 'b')
const C = p('c', 'c')
const OUT = p('d', 'out')
const DEV = p('f', 'out-dev')

function info(path: StorePath, references: StorePath[], narSize = 100): PathInfo {
  return { path, deriver: undefined, narHash: NixHash.of('sha256', path.baseName), narSize, references, registrationTime: 0, ultimate: true, sigs: [], ca: undefined }
}
// The store: A → B → C; outputs: out → A, out (self); dev → out.
const store = new Map([A, B, C].map(x => [x.baseName, x]))
const infos = new Map<string, PathInfo>([[A.baseName, info(A, [B])], [B.baseName, info(B, [C])], [C.baseName, info(C, [])]])
const ctx = { storeDir: sd, queryPathInfo: async (x: StorePath) => infos.get(x.baseName) }
void store
const outputs = new Map<string, PathInfo>([['out', info(OUT, [A, OUT], 1000)], ['dev', info(DEV, [OUT])]])

const checks = (c: Partial<OutputChecks>): OutputChecks => ({
  ignoreSelfRefs: true, maxSize: undefined, maxClosureSize: undefined, allowedReferences: undefined, disallowedReferences: [],
  allowedRequisites: undefined, disallowedRequisites: [], ...c,
})
const all = (c: Partial<OutputChecks>): DerivationOptions['outputChecks'] => ({ kind: 'forAllOutputs', checks: checks(c) })
const opaque = (x: StorePath): DrvRef => ({ kind: 'opaque', path: x })
const self = (o: string): DrvRef => ({ kind: 'self', output: o })

async function rejects(oc: DerivationOptions['outputChecks'], message: string): Promise<void> {
  await assert.rejects(checkOutputs(ctx, oc, outputs), (e: unknown) => {
    assert.ok(e instanceof BuildError)
    assert.equal(e.status, BuildStatus.OutputRejected)
    assert.equal(e.message.replace(/\x1b\[[0-9;]*m/g, ''), message)
    return true
  })
}

describe('build: output checks', () => {
  it('no checks, and allow-lists that cover everything, pass', async () => {
    await checkOutputs(ctx, all({}), outputs)
    await checkOutputs(ctx, all({ allowedReferences: [opaque(A), self('out')] }), outputs)
    await checkOutputs(ctx, all({ allowedRequisites: [opaque(A), opaque(B), opaque(C), self('out')] }), outputs)
  })

  it('an empty allowedReferences list allows nothing', async () => {
    await rejects(all({ allowedReferences: [] }), `output '${sd.print(OUT)}' is not allowed to refer to the following paths:\n  ${sd.print(A)}\n  ${sd.print(OUT)}`)
  })

  it('allowedRequisites follows the closure (self ignored in the environment form)', async () => {
    await rejects(all({ allowedRequisites: [opaque(A), opaque(B)] }), `output '${sd.print(OUT)}' is not allowed to refer to the following paths:\n  ${sd.print(C)}`)
  })

  it('disallowedReferences / disallowedRequisites', async () => {
    await checkOutputs(ctx, all({ disallowedReferences: [opaque(B)] }), outputs)
    await rejects(all({ disallowedRequisites: [opaque(B)] }), `output '${sd.print(OUT)}' is not allowed to refer to the following paths:\n  ${sd.print(B)}`)
  })

  it('per-output checks (structured attrs) apply to their output only, self references included', async () => {
    const per: DerivationOptions['outputChecks'] = { kind: 'perOutput', checks: new Map([['dev', checks({ ignoreSelfRefs: false, allowedRequisites: [self('out'), opaque(A), opaque(B), opaque(C)] })]]) }
    await rejects(per, `output '${sd.print(DEV)}' is not allowed to refer to the following paths:\n  ${sd.print(DEV)}`)
  })

  it('maxSize and maxClosureSize', async () => {
    await rejects({ kind: 'perOutput', checks: new Map([['out', checks({ maxSize: 999n })]]) }, `path '${sd.print(OUT)}' is too large at 1000 bytes; limit is 999 bytes`)
    await checkOutputs(ctx, { kind: 'perOutput', checks: new Map([['out', checks({ maxSize: 1000n, maxClosureSize: 1300n })]]) }, outputs)
    await rejects({ kind: 'perOutput', checks: new Map([['out', checks({ maxClosureSize: 1299n })]]) }, `closure of path '${sd.print(OUT)}' is too large at 1300 bytes; limit is 1299 bytes`)
  })
})
