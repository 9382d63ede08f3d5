/**
 * BasicDerivation on the worker protocol, against the BuildDerivation requests C++ Nix 2.34
 * and 2.8 build hooks sent over ssh-ng (fixtures/captures/ssh-ng/buildhook-*): decoding them
 * gives the derivation the capture's decoder shows, and encoding it again gives the same bytes.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { nameFromDrvPath, readBasicDerivation, writeBasicDerivation } from '../../../src/derivation/index.js'
import { StoreDir } from '../../../src/store-path/index.js'
import { WireReader, WireWriter } from '../../../src/wire/index.js'
import { fixture, skipBecause } from '../../support/env.js'

interface OpRecord {
  op: string
  c2d: [number, number]
  req: { drvPath: string; drv: { outputs: Record<string, { path: string; hashAlgo: string; hash: string }>; inputSrcs: string[]; platform: string; builder: string; args: string[]; env: Record<string, string> }; buildMode: number }
}

for (const capture of ['buildhook-c2.34-d2.34', 'buildhook-c2.8-d2.34']) {
  it(`BuildDerivation request of ${capture} decodes and re-encodes byte for byte`, function () {
    const dir = fixture('captures', 'ssh-ng', capture)
    if (!dir) skipBecause(this, `capture ssh-ng/${capture} not found`)
    const op = readFileSync(join(dir, 'ops.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as OpRecord).find(o => o.op === 'BuildDerivation')
    assert.ok(op)
    const bytes = readFileSync(join(dir, 'conn-001.c2d.bin')).subarray(op.c2d[0], op.c2d[1])
    const storeDir = new StoreDir()
    const r = new WireReader(bytes)
    assert.equal(r.u64(), 36n) // wopBuildDerivation
    const drvPath = storeDir.parse(r.string())
    const start = r.pos
    const drv = readBasicDerivation(r, nameFromDrvPath(drvPath), storeDir)
    const end = r.pos
    assert.equal(r.u64(), BigInt(op.req.buildMode))
    assert.equal(r.remaining, 0)

    const want = op.req.drv
    assert.deepEqual(Object.fromEntries([...drv.outputs].map(([k, o]) => [k, o.kind === 'inputAddressed' ? storeDir.print(o.path) : o.kind])),
      Object.fromEntries(Object.entries(want.outputs).map(([k, o]) => [k, o.path])))
    assert.deepEqual(drv.inputSrcs.map(p => storeDir.print(p)), want.inputSrcs)
    assert.equal(drv.platform, want.platform)
    assert.equal(drv.builder, want.builder)
    assert.deepEqual(drv.args, want.args)
    assert.deepEqual(Object.fromEntries(drv.env), want.env)

    const w = new WireWriter()
    writeBasicDerivation(w, drv, storeDir)
    assert.deepEqual(Buffer.from(w.finish()), Buffer.from(bytes.subarray(start, end)))
  })
}
