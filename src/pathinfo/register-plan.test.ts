/** Planning a registration: order, de-duplication and C++ `topoSort`'s cycle error (worked by hand). */
import assert from 'node:assert/strict'
import { mkInfo, sp, storeDir } from '../../test/support/pathinfo.js'
import { ReferenceCycleError } from './errors.js'
import { checkAcyclic, planRegistration, type PlannedPath } from './register-plan.js'

const plan = (key: string, refs: string[]): PlannedPath => ({ key, refs, cols: undefined as never, drvOutputs: [], castoreRoot: undefined })

describe('pathinfo: registration planning', () => {
  it('orders by path, keeps the last registration of a path, and sorts unique references', () => {
    const a = sp('a'), b = sp('b')
    const plans = planRegistration(storeDir, [
      { info: mkInfo(b, { narSize: 1 }) },
      { info: mkInfo(a, { references: [b, a, b] }) },
      { info: mkInfo(b, { narSize: 2 }) },
    ], 0)
    assert.deepEqual(plans.map(p => p.key), [storeDir.print(a), storeDir.print(b)].sort())
    assert.equal(plans.find(p => p.key === storeDir.print(b))!.cols.narSize, 2)
    assert.deepEqual(plans.find(p => p.key === storeDir.print(a))!.refs, [storeDir.print(a), storeDir.print(b)].sort())
  })

  it('ignores self-references and references outside the batch', () => {
    checkAcyclic([plan('/s/a', ['/s/a', '/s/b']), plan('/s/b', ['/s/outside'])])
  })

  it('names the path met again and the one it was reached from', () => {
    assert.throws(() => checkAcyclic([plan('/s/a', ['/s/b']), plan('/s/b', ['/s/c']), plan('/s/c', ['/s/a'])]),
      (e: Error) => e instanceof ReferenceCycleError && e.message === "cycle detected in the references of '/s/a' from '/s/c'")
  })

  it('handles a 100k-long chain without recursion', () => {
    const n = 100_000
    const key = (i: number): string => `/s/${String(i).padStart(6, '0')}`
    checkAcyclic(Array.from({ length: n }, (_, i) => plan(key(i), i + 1 < n ? [key(i + 1)] : [])))
  })
})
