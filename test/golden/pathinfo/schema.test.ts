/**
 * The database tsnix creates is C++ Nix's, object for object; opening a database C++ Nix
 * created changes nothing of Nix's and only adds tables; and the modern C++ Nix (2.34, when
 * the reference chroot is set up) opens, migrates and verifies a tsnix-made store.
 *
 * Expected structures come from databases created by C++ Nix 2.8 here and now
 * (`nix-store --store <root> …`, with and without the ca-derivations feature).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlitePathInfoService } from '../../../src/pathinfo/index.js'
import { StoreDir } from '../../../src/store-path/index.js'
import { nix28, referenceNix, skipBecause } from '../../support/env.js'
import { lines, nixOn, nixOnStatus, stateDirOf } from '../../support/nix-store.js'
import { describeSqliteSchema, sqliteScalar } from '../../support/sqlite-schema.js'

const storeDir = new StoreDir('/nix/store')
const dbFile = (root: string): string => join(stateDirOf(root), 'db', 'db.sqlite')
const readDbFile = (root: string, name: string): string => readFileSync(join(stateDirOf(root), 'db', name), 'utf8')

/** Objects tsnix adds to a Nix database (its own tables, and 2.34's index on RealisationsRefs). */
const TSNIX_ADDITIONS = /^(table Tsnix|index sqlite_autoindex_Tsnix|index IndexRealisationsRefsRealisationReference$)/

describe('pathinfo golden: the database schema is C++ Nix 2.8’s', function () {
  this.timeout(60_000)
  let work: string

  before(function () {
    if (!nix28()) skipBecause(this, 'C++ Nix 2.8 (nix-store) is not installed')
    work = mkdtempSync(join(tmpdir(), 'tsnix-golden-schema-'))
    writeFileSync(join(work, 'file.txt'), 'some content\n')
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  /** A store C++ Nix 2.8 created by adding one file, with or without its CA tables. */
  function nixStore(name: string, ca: boolean): { root: string; added: string } {
    const root = join(work, name)
    // nixOn enables ca-derivations; without it, call nix-store directly.
    const added = ca
      ? nixOn(root, 'nix-store', ['--add', join(work, 'file.txt')]).trim()
      : execFileSync('nix-store', ['--store', root, '--add', join(work, 'file.txt')], { encoding: 'utf8' }).trim()
    return { root, added }
  }

  it('creates the same tables, columns, keys, indices and triggers, and the same version files', async () => {
    const nix = nixStore('nix', true)
    const ours = join(work, 'ours')
    const svc = await openSqlitePathInfoService({ stateDir: stateDirOf(ours), storeDir })
    await svc.close()
    const expected = describeSqliteSchema(dbFile(nix.root))
    const got = describeSqliteSchema(dbFile(ours))
    for (const [k, v] of expected) assert.equal(got.get(k), v, `${k} differs`)
    const extra = [...got.keys()].filter(k => !expected.has(k))
    assert.deepEqual(extra.filter(k => !TSNIX_ADDITIONS.test(k)), [], 'only tsnix objects are added')
    assert.equal(readDbFile(ours, 'schema'), readDbFile(nix.root, 'schema'))
    assert.equal(readDbFile(ours, 'ca-schema'), readDbFile(nix.root, 'ca-schema'))
    assert.equal(sqliteScalar(dbFile(ours), 'pragma journal_mode'), sqliteScalar(dbFile(nix.root), 'pragma journal_mode'))
  })

  it('opens a database C++ Nix created without touching any of its objects, and Nix keeps working', async () => {
    const nix = nixStore('existing', false)
    const before = describeSqliteSchema(dbFile(nix.root))
    assert.ok(!before.has('table Realisations'), 'fixture: created without the CA tables')
    const rowsBefore = sqliteScalar(dbFile(nix.root), "select group_concat(id || '|' || path || '|' || hash || '|' || registrationTime || '|' || ifnull(narSize, '') || '|' || ifnull(ca, ''), ';') from ValidPaths")
    for (let i = 0; i < 2; i++) {
      const svc = await openSqlitePathInfoService({ stateDir: stateDirOf(nix.root), storeDir })
      assert.ok(await svc.isValidPath(storeDir.parse(nix.added)))
      await svc.close()
    }
    const after = describeSqliteSchema(dbFile(nix.root))
    for (const [k, v] of before) assert.equal(after.get(k), v, `${k} changed`)
    const added = [...after.keys()].filter(k => !before.has(k))
    // What Nix 2.8 itself adds when ca-derivations is enabled, plus tsnix's own.
    const nixCa = describeSqliteSchema(dbFile(nixStore('with-ca', true).root))
    assert.deepEqual(added.filter(k => !TSNIX_ADDITIONS.test(k) && !(nixCa.has(k) && nixCa.get(k) === after.get(k))), [])
    assert.equal(sqliteScalar(dbFile(nix.root), "select group_concat(id || '|' || path || '|' || hash || '|' || registrationTime || '|' || ifnull(narSize, '') || '|' || ifnull(ca, ''), ';') from ValidPaths"), rowsBefore)
    assert.equal(readDbFile(nix.root, 'schema'), '10')
    assert.equal(readDbFile(nix.root, 'ca-schema'), '3')
    // Nix 2.8 without and with ca-derivations reads and writes it.
    assert.equal(lines(execFileSync('nix-store', ['--store', nix.root, '-q', '--hash', nix.added], { encoding: 'utf8' })).length, 1)
    const other = join(work, 'other.txt')
    writeFileSync(other, 'second file\n')
    const added2 = nixOn(nix.root, 'nix-store', ['--add', other]).trim()
    const svc = await openSqlitePathInfoService({ stateDir: stateDirOf(nix.root), storeDir })
    assert.ok(await svc.isValidPath(storeDir.parse(added2)))
    await svc.close()
    const v = nixOnStatus(nix.root, 'nix-store', ['--verify', '--check-contents'])
    assert.equal(v.status, 0, v.stderr)
  })

  it('is opened, migrated and verified by the current C++ Nix (2.34), and reopened by tsnix after', async function () {
    const ref = referenceNix()
    if (!ref) return skipBecause(this, 'the reference C++ Nix chroot (tools/reference-nix) is not set up')
    // A store whose database tsnix created, with a path C++ 2.8 added to it.
    const name = `tsnix-schema-${process.pid}`
    const root = join(ref.root, 'data', name)
    try {
      const svc = await openSqlitePathInfoService({ stateDir: stateDirOf(root), storeDir })
      await svc.close()
      const added = nixOn(root, 'nix-store', ['--add', join(work, 'file.txt')]).trim()
      const inside = `/data/${name}`
      const run = (cmd: string): string => execFileSync(ref.script, ['run', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      const hash = run(`nix-store --store ${inside} --extra-experimental-features ca-derivations -q --hash ${added}`).trim()
      assert.equal(hash, nixOn(root, 'nix-store', ['-q', '--hash', added]).trim())
      run(`nix-store --store ${inside} --verify --check-contents`)
      // 2.34 recorded its CA migration and added its trigger; tsnix and 2.8 still open it.
      assert.equal(sqliteScalar(dbFile(root), "select count(*) from SchemaMigrations where migration = '20220326-ca-derivations'"), 1)
      const svc2 = await openSqlitePathInfoService({ stateDir: stateDirOf(root), storeDir })
      assert.ok(await svc2.isValidPath(storeDir.parse(added)))
      await svc2.close()
      assert.equal(nixOn(root, 'nix-store', ['-q', '--hash', added]).trim(), hash)
    } finally {
      if (existsSync(root)) rmSync(root, { recursive: true, force: true })
    }
  })
})
