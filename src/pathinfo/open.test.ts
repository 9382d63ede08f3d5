/**
 * Opening a SQLite database in a Nix state directory: the version files as C++ `LocalStore`
 * reads and writes them, Nix's upgrades from schema 7–9, and query plans that stay on indices
 * (so lookups do not grow with the number of paths).
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StoreDir } from '../store-path/index.js'
import { sp, mkInfo } from '../../test/support/pathinfo.js'
import { skipBecause, which } from '../../test/support/env.js'
import { nativeAddon } from '../os/index.js'
import { execFile, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { DbBusyError, DbSchemaError } from './errors.js'
import { openSqlitePathInfoService, withDeferredCa } from './open.js'
import { SQLITE_NIX_SCHEMA } from './schema.js'
import { Database } from './sqlite-driver.js'
import * as q from './sql-text.js'

const storeDir = new StoreDir()

describe('pathinfo: opening a Nix state directory', () => {
  let dir: string
  const db = (): string => join(dir, 'db', 'db.sqlite')
  const file = (n: string): string => join(dir, 'db', n)
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tsnix-open-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('creates db/db.sqlite in WAL mode and writes the version files as Nix 2.8 does (no newline)', async () => {
    const s = await openSqlitePathInfoService({ stateDir: dir, storeDir })
    await s.close()
    assert.equal(readFileSync(file('schema'), 'utf8'), '10')
    assert.equal(readFileSync(file('ca-schema'), 'utf8'), '3')
    const h = new Database(db(), { readonly: true })
    try { assert.equal(h.pragma('journal_mode', { simple: true }), 'wal') } finally { h.close() }
  })

  it('refuses a newer schema with C++ Nix’s message, and a corrupt version file', async () => {
    mkdirSync(join(dir, 'db'))
    writeFileSync(file('schema'), '11')
    await assert.rejects(openSqlitePathInfoService({ stateDir: dir }), (e: Error) => e instanceof DbSchemaError && e.message === 'current Nix store schema is version 11, but I only support 10')
    writeFileSync(file('schema'), '10\n')
    await assert.rejects(openSqlitePathInfoService({ stateDir: dir }), (e: Error) => e instanceof DbSchemaError && e.message.includes('is corrupt'))
    writeFileSync(file('schema'), '5')
    await assert.rejects(openSqlitePathInfoService({ stateDir: dir }), DbSchemaError)
    writeFileSync(file('schema'), '10')
    writeFileSync(file('ca-schema'), '2')
    await assert.rejects(openSqlitePathInfoService({ stateDir: dir }), (e: Error) => e instanceof DbSchemaError && e.message.includes('ca-schema version 2'))
  })

  it('accepts a later ca-schema without rewriting it', async () => {
    mkdirSync(join(dir, 'db'))
    writeFileSync(file('ca-schema'), '4')
    await (await openSqlitePathInfoService({ stateDir: dir })).close()
    assert.equal(readFileSync(file('ca-schema'), 'utf8'), '4')
  })

  for (const from of [7, 8, 9]) {
    it(`upgrades a schema-${from} database the way C++ Nix does`, async () => {
      mkdirSync(join(dir, 'db'))
      const h = new Database(db())
      for (const s of SQLITE_NIX_SCHEMA) h.exec(s)
      if (from < 10) h.exec('alter table ValidPaths drop column ca')
      if (from < 8) { h.exec('alter table ValidPaths drop column sigs'); h.exec('alter table ValidPaths drop column ultimate') }
      if (from < 9) h.exec('create table FailedPaths (path text primary key not null, time integer not null)')
      h.exec("insert into ValidPaths (path, hash, registrationTime) values ('/nix/store/xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f', 'sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13', 1)")
      h.close()
      writeFileSync(file('schema'), String(from))
      const s = await openSqlitePathInfoService({ stateDir: dir, storeDir })
      const info = await s.queryPathInfo(storeDir.parse('/nix/store/xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f'))
      assert.equal(info?.ultimate, false)
      await s.registerValidPaths([{ info: mkInfo(sp('new'), { ultimate: true, sigs: ['k:s'] }) }])
      await s.close()
      assert.equal(readFileSync(file('schema'), 'utf8'), '10')
      const after = new Database(db(), { readonly: true })
      try {
        const cols = (after.prepare('select name from pragma_table_info(?)').pluck().all('ValidPaths') as string[])
        assert.ok(['ultimate', 'sigs', 'ca'].every(c => cols.includes(c)))
        assert.equal(after.prepare("select count(*) from sqlite_master where name = 'FailedPaths'").pluck().get(), 0)
      } finally { after.close() }
    })
  }

  it('waits for another process’s write lock without blocking the event loop, then writes', async () => {
    const s = await openSqlitePathInfoService({ stateDir: dir, storeDir, busyTimeoutMs: 5 })
    const other = new Database(db(), { timeout: 0 }) // stands in for a C++ nix-daemon mid-transaction
    try {
      other.exec('begin immediate')
      const p = sp('waited')
      let settled = false
      const reg = s.registerValidPaths([{ info: mkInfo(p) }]).finally(() => { settled = true })
      await sleep(150) // resolves only because the registration is waiting asynchronously
      assert.equal(settled, false)
      assert.equal(await s.isValidPath(p), false)
      other.exec('commit')
      await reg
      assert.ok(await s.isValidPath(p))
    } finally {
      other.close()
      await s.close()
    }
  })

  it('gives up on a database that stays locked with DbBusyError', async () => {
    const s = await openSqlitePathInfoService({ stateDir: dir, storeDir, busyTimeoutMs: 5, busyGiveUpMs: 100 })
    const other = new Database(db(), { timeout: 0 })
    try {
      other.exec('begin immediate')
      await assert.rejects(s.registerValidPaths([{ info: mkInfo(sp('never')) }]), DbBusyError)
      other.exec('rollback')
    } finally {
      other.close()
      await s.close()
    }
  })

  it('holds db/big-lock shared while open and waits for an exclusive holder, as C++ LocalStore', async function () {
    if (!nativeAddon()) return skipBecause(this, 'the native addon (flock) is not built')
    if (!which('flock')) return skipBecause(this, 'util-linux flock(1) is not installed')
    mkdirSync(join(dir, 'db'))
    const lock = file('big-lock')
    writeFileSync(lock, '')
    const exclusiveFails = (): Promise<boolean> => new Promise(r => execFile('flock', ['-n', '-x', lock, 'true']).once('exit', code => r(code !== 0)))
    // Someone (a C++ Nix upgrading the schema) holds it exclusively: opening waits.
    const holder = spawn('flock', ['-x', lock, 'sh', '-c', 'echo locked; read x'], { stdio: ['pipe', 'pipe', 'inherit'] })
    await new Promise(r => holder.stdout!.once('data', r))
    let opened = false
    const opening = openSqlitePathInfoService({ stateDir: dir, storeDir }).then(s => { opened = true; return s })
    await sleep(100)
    assert.equal(opened, false)
    holder.stdin!.end('\n')
    const s = await opening
    try {
      assert.equal(await exclusiveFails(), true, 'open service holds the lock shared')
    } finally { await s.close() }
    assert.equal(await exclusiveFails(), false, 'closed service released it')
  })

  it('keeps every hot query on an index (no full scan of ValidPaths, Refs or DerivationOutputs)', async () => {
    const s = await openSqlitePathInfoService({ stateDir: dir, storeDir })
    await s.close()
    const h = new Database(db(), { readonly: true })
    try {
      const statements: Array<[string, string, unknown]> = [
        ['queryPathInfo', q.queryPathInfo('sqlite'), 'x'],
        ['isValidPath', q.QUERY_ID, 'x'],
        ['references', q.QUERY_REFERENCES, 1],
        ['referrers', q.QUERY_REFERRERS, 'x'],
        ['queryPathFromHashPart', q.QUERY_PATH_FROM_HASH_PART, 'x'],
        ['queryValidDerivers', q.QUERY_VALID_DERIVERS, 'x'],
        ['derivation outputs', q.QUERY_DERIVATION_OUTPUTS, 1],
        ['castore root', q.QUERY_CASTORE_ROOT, 'x'],
        ['queryValidPaths', q.queryValidPaths('sqlite'), '[]'],
        ['closure', q.queryClosure('sqlite', false), '[]'],
        ['closure (referrers)', q.queryClosure('sqlite', true), '[]'],
      ]
      for (const [what, sql, arg] of statements) {
        const plan = (h.prepare(`explain query plan ${sql}`).all(arg) as Array<{ detail: string }>).map(r => r.detail)
        const scans = plan.filter(d => /^SCAN (ValidPaths|Refs|DerivationOutputs|TsnixCastoreRoots|[rvdx])\b/.test(d))
        assert.deepEqual(scans, [], `${what}: ${plan.join('; ')}`)
      }
    } finally { h.close() }
  })
})

describe('pathinfo: a PostgreSQL connection when the launcher deferred NODE_EXTRA_CA_CERTS', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsnix-pg-ca-'))
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n')
  })
  after(() => { rmSync(dir, { recursive: true, force: true }) })
  const deferred = (): NodeJS.ProcessEnv => ({ TSNIX_EXTRA_CA_CERTS: join(dir, 'ca.pem') })
  const last = (ssl: unknown): unknown => ((ssl as { ca: string[] }).ca).at(-1)

  it('adds the deferred file to TLS connections that name no CA', () => {
    const fromUrl = withDeferredCa({ connectionString: 'postgresql://u@db.example/store?sslmode=require' }, deferred()) as { ssl?: unknown; host?: string; database?: string }
    assert.equal(fromUrl.host, 'db.example')
    assert.equal(fromUrl.database, 'store')
    assert.match(String(last(fromUrl.ssl)), /not parsed here/)
    const fromEnv = withDeferredCa({ host: 'db.example' }, { ...deferred(), PGSSLMODE: 'verify-full' }) as { ssl?: unknown }
    assert.match(String(last(fromEnv.ssl)), /not parsed here/)
  })

  it('leaves plain connections, own CAs and undeferred runs alone', () => {
    assert.deepEqual(withDeferredCa({ host: '/run/postgresql' }, deferred()), { host: '/run/postgresql' })
    const own = withDeferredCa({ host: 'h', ssl: { ca: 'mine' } } as never, deferred()) as { ssl?: unknown }
    assert.deepEqual(own.ssl, { ca: 'mine' })
    const conn = { connectionString: 'postgresql://u@h/db?sslmode=require' }
    assert.equal(withDeferredCa(conn, {}), conn)
  })
})
