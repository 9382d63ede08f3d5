/**
 * The path-info cache never answers from stale data: writes through the service, and commits by
 * another connection to the same SQLite file (another process, C++ Nix), are seen at once.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreDir } from '../store-path/index.js'
import { mkInfo, sp } from '../../test/support/pathinfo.js'
import { openSqlitePathInfoService } from './open.js'
import { Database } from './sqlite-driver.js'
import { PathInfoCache } from './info-cache.js'
import { nativeAddon } from '../os/native.js'
import { skipBecause } from '../../test/support/env.js'

const storeDir = new StoreDir()

describe('pathinfo: path-info cache', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-info-cache-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  // The WAL-index probe reads through a shared mapping (native addon) or with pread (TSNIX_SHM_MAP=0).
  for (const probe of ['mapped', 'pread']) it(`sees its own writes and other connections’ commits, for positive and negative answers (${probe} probe)`, async function () {
    // (without the addon's mapShared the probe would quietly read with pread)
    if (probe === 'mapped' && !nativeAddon()?.mapShared) skipBecause(this, 'native addon not built with mapShared (node native/build.mjs)')
    const saved = process.env['TSNIX_SHM_MAP']
    if (probe === 'pread') process.env['TSNIX_SHM_MAP'] = '0'
    const s = await openSqlitePathInfoService({ stateDir: dir, storeDir }).finally(() => {
      if (saved === undefined) delete process.env['TSNIX_SHM_MAP']
      else process.env['TSNIX_SHM_MAP'] = saved
    })
    const other = new Database(join(dir, 'db', 'db.sqlite'))
    try {
      const p = sp('cached'), q = sp('absent')
      await s.registerValidPaths([{ info: mkInfo(p) }])
      assert.deepEqual((await s.queryPathInfo(p))?.sigs, [])
      assert.equal(await s.queryPathInfo(q), undefined)
      assert.equal(await s.isValidPath(q), false)

      await s.addSignatures(p, ['k:c2ln'])
      assert.deepEqual((await s.queryPathInfo(p))?.sigs, ['k:c2ln'])

      // another connection (as another process would) changes and adds rows behind our back
      other.prepare('update ValidPaths set sigs = ? where path = ?').run('k:b3RoZXI=', storeDir.print(p))
      assert.deepEqual((await s.queryPathInfo(p))?.sigs, ['k:b3RoZXI='])
      other.prepare('insert into ValidPaths (path, hash, registrationTime) values (?, ?, 1)').run(storeDir.print(q), mkInfo(q).narHash.format('base16', true))
      assert.equal(await s.isValidPath(q), true)
      assert.ok(await s.queryPathInfo(q))
      other.prepare('delete from ValidPaths where path = ?').run(storeDir.print(q))
      assert.equal(await s.queryPathInfo(q), undefined)

      await s.invalidatePaths([p])
      assert.equal(await s.queryPathInfo(p), undefined)
      assert.equal(await s.isValidPath(p), false)
    } finally {
      other.close()
      await s.close()
    }
  })
})

describe('pathinfo: PathInfoCache bounds', () => {
  const info = (i: number) => mkInfo(sp(`p${i}`))

  it('holds at most `max` entries, keeps the recently used ones and drops the oldest', () => {
    const c = new PathInfoCache(() => 0, 100)
    for (let i = 0; i < 1000; i++) c.set(`p${i}`, i % 2 === 0 ? info(i) : null, c.begin())
    // two halves of 50: p900–p949 (older) and p950–p999 (younger)
    assert.equal(c.size, 100)
    assert.equal(c.get('p899'), undefined)
    assert.equal(c.get('p999'), null) // negative answers are kept as such
    assert.equal(c.get('p998')?.path.baseName, info(998).path.baseName)
    // using p904 from the older half moves it to a new younger half; the halves turn over and
    // the rest of the older one (p905 …) is dropped
    assert.ok(c.get('p904'))
    assert.equal(c.get('p906'), undefined)
    assert.ok(c.get('p904'))
    assert.ok(c.get('p998'), 'the former younger half is kept')
    assert.ok(c.size <= 100, `size ${c.size}`)
  })

  it('forgets everything when the database version moves, and ignores lookups that raced with it', () => {
    let version = 0
    const c = new PathInfoCache(() => version, 100)
    const g = c.begin()
    c.set('a', info(1), g)
    assert.ok(c.get('a'))
    version = 1
    assert.equal(c.get('a'), undefined)
    c.set('b', info(2), g) // begun before the invalidation
    assert.equal(c.get('b'), undefined)
  })
})
