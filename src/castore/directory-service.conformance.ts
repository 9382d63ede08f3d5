/**
 * What every DirectoryService must do (tvix castore/src/directoryservice/tests and the
 * DirectoryGraph upload cases), run against each backend by directory-service.test.ts.
 */
import assert from 'node:assert/strict'
import { Directory } from './directory.js'
import type { DirectoryService } from './directory-service.js'
import { DirectoryClosureError } from './errors.js'
import { DIRECTORY_A, DIRECTORY_B, DIRECTORY_C, DIRECTORY_COMPLICATED, DIRECTORY_D, DIRECTORY_WITH_KEEP } from './fixtures.js'
import { directoryNode } from './node.js'

/** A parent recording a wrong size for its child (tvix BROKEN_PARENT_DIRECTORY). */
const BROKEN_PARENT = Directory.from([{ name: 'foo', node: directoryNode(DIRECTORY_A.digest, DIRECTORY_A.size + 42n) }])

async function collect(it: AsyncIterable<Directory>): Promise<string[]> {
  const out: string[] = []
  for await (const d of it) out.push(d.digest.hex)
  return out
}

export function directoryServiceSuite(make: () => Promise<DirectoryService>): void {
  let svc: DirectoryService
  beforeEach(async () => { svc = await make() })

  it('get() of an absent directory is undefined; getRecursive() is empty', async () => {
    assert.equal(await svc.get(DIRECTORY_B.digest), undefined)
    assert.deepEqual(await collect(svc.getRecursive(DIRECTORY_B.digest)), [])
  })

  it('put() then get() returns the same directory, leaves first', async () => {
    for (const d of [DIRECTORY_A, DIRECTORY_WITH_KEEP, DIRECTORY_B, DIRECTORY_C, DIRECTORY_D, DIRECTORY_COMPLICATED]) {
      assert.ok((await svc.put(d)).equals(d.digest))
      const back = await svc.get(d.digest)
      assert.ok(back && back.digest.equals(d.digest))
      assert.equal(back.size, d.size)
    }
  })

  it('put() refuses a directory whose child is not stored', async () => {
    await assert.rejects(svc.put(DIRECTORY_B), DirectoryClosureError)
    assert.equal(await svc.get(DIRECTORY_B.digest), undefined)
  })

  it('put() refuses a wrong child size', async () => {
    await svc.put(DIRECTORY_A)
    await assert.rejects(svc.put(BROKEN_PARENT), /has wrong size, specified 42, recorded 0/)
  })

  it('getRecursive() returns root to leaves, breadth first, each directory once', async () => {
    for (const d of [DIRECTORY_A, DIRECTORY_B, DIRECTORY_D]) await svc.put(d)
    assert.deepEqual(await collect(svc.getRecursive(DIRECTORY_D.digest)), [DIRECTORY_D, DIRECTORY_A, DIRECTORY_B].map(d => d.digest.hex))
    await svc.put(DIRECTORY_C)
    assert.deepEqual(await collect(svc.getRecursive(DIRECTORY_C.digest)), [DIRECTORY_C, DIRECTORY_A].map(d => d.digest.hex))
  })

  // The upload cases of tvix directory_graph.rs test_uploads.
  const uploads: Array<[string, Directory[], 'ok' | 'fail-last' | 'fail-close', Directory?]> = [
    ['an empty directory', [DIRECTORY_A], 'ok', DIRECTORY_A],
    ['a simple closure', [DIRECTORY_A, DIRECTORY_B], 'ok', DIRECTORY_B],
    ['the same child sent twice', [DIRECTORY_A, DIRECTORY_A, DIRECTORY_C], 'ok', DIRECTORY_C],
    ['a child referred to twice', [DIRECTORY_A, DIRECTORY_C], 'ok', DIRECTORY_C],
    ['a node left unconnected', [DIRECTORY_A, DIRECTORY_C, DIRECTORY_B], 'fail-close'],
    ['a dangling reference', [DIRECTORY_B], 'fail-last'],
    ['a wrong size in the parent', [DIRECTORY_A, BROKEN_PARENT], 'fail-last'],
  ]
  for (const [what, dirs, outcome, root] of uploads) {
    it(`putMultiple: ${what}`, async () => {
      const p = svc.putMultiple()
      for (const [i, d] of dirs.entries()) {
        if (i === dirs.length - 1 && outcome === 'fail-last') { await assert.rejects(p.put(d), DirectoryClosureError); return }
        await p.put(d)
      }
      if (outcome === 'fail-close') {
        await assert.rejects(p.close(), DirectoryClosureError)
        assert.equal(await svc.get(DIRECTORY_B.digest), undefined, 'nothing of a failed upload is stored')
        return
      }
      assert.ok((await p.close()).equals(root!.digest))
      await svc.sync()
      assert.ok(await svc.get(root!.digest))
    })
  }

  it('putMultiple: may refer to directories stored by an earlier upload', async () => {
    const p1 = svc.putMultiple()
    await p1.put(DIRECTORY_A); await p1.put(DIRECTORY_B)
    await p1.close()
    const p2 = svc.putMultiple()
    await p2.put(DIRECTORY_D)
    assert.ok((await p2.close()).equals(DIRECTORY_D.digest))
    assert.deepEqual(await collect(svc.getRecursive(DIRECTORY_D.digest)), [DIRECTORY_D, DIRECTORY_A, DIRECTORY_B].map(d => d.digest.hex))
  })

  it('putMultiple: an empty upload fails', async () => {
    await assert.rejects(svc.putMultiple().close(), DirectoryClosureError)
  })
}
