/** Planning a registration: order, de-duplication and C++ `topoSort`'s cycle error (worked by hand). */
import assert from 'node:assert/strict'
import { mkInfo, sp, storeDir } from '../../test/support/pathinfo.js'
import { ReferenceCycleError } from './errors.js'
import { checkAcyclic, planRegistration, planRegistrationInChunks, type PlannedPath } from './register-plan.js'
import { StorePath } from '../store-path/index.js'

const path = sp
const plan = (name: string, refs: string[]): Pick<PlannedPath, 'path' | 'key' | 'refPaths'> =>
  ({ path: path(name), key: storeDir.print(path(name)), refPaths: refs.map(path) })

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

  it('plans a large batch in yielding chunks exactly as in one go', async () => {
    const ps = Array.from({ length: 5000 }, (_, i) => sp(`many-${i}`))
    const regs = ps.map((p, i) => ({ info: mkInfo(p, { references: i > 0 ? [ps[i - 1]!, ps[(i * 7919) % i]!] : [] }) }))
    const direct = planRegistration(storeDir, regs, 0)
    let turns = 0
    const ticking = setInterval(() => turns++, 0)
    const chunked = await planRegistrationInChunks(storeDir, regs, 0, 100)
    clearInterval(ticking)
    assert.deepEqual(chunked.map(p => p.key), direct.map(p => p.key))
    assert.deepEqual(direct.map(p => p.key), [...direct.map(p => p.key)].sort())
    assert.ok(turns > 0, 'the event loop turned while planning')
    const cyclic = [...regs, { info: mkInfo(ps[0]!, { references: [ps[4999]!] }) }]
    await assert.rejects(planRegistrationInChunks(storeDir, cyclic, 0, 100), ReferenceCycleError)
  })

  it('ignores self-references and references outside the batch', () => {
    checkAcyclic([plan('a', ['a', 'b']), plan('b', ['outside'])])
  })

  it('names the path met again and the one it was reached from', () => {
    assert.throws(() => checkAcyclic([plan('a', ['b']), plan('b', ['c']), plan('c', ['a'])]),
      (e: Error) => e instanceof ReferenceCycleError && e.message === `cycle detected in the references of '${storeDir.print(path('a'))}' from '${storeDir.print(path('c'))}'`)
  })

  it('tells apart two paths with one hash part and different names', () => {
    const twin = (name: string, refs: StorePath[]): Pick<PlannedPath, 'path' | 'key' | 'refPaths'> => {
      const p = StorePath.fromBaseName('1'.repeat(32) + '-' + name)
      return { path: p, key: storeDir.print(p), refPaths: refs }
    }
    const x = twin('x', []).path, y = twin('y', []).path
    checkAcyclic([twin('x', [y]), twin('y', [])])
    assert.throws(() => checkAcyclic([twin('x', [y]), twin('y', [x])]), ReferenceCycleError)
  })

  it('handles a 100k-long chain without recursion', () => {
    const n = 100_000
    const name = (i: number): string => `p${String(i).padStart(6, '0')}`
    checkAcyclic(Array.from({ length: n }, (_, i) => plan(name(i), i + 1 < n ? [name(i + 1)] : [])))
  })
})
