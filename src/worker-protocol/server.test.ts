import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryStore } from '../../test/support/memory-store.js'
import { isRoot } from '../../test/support/env.js'
import { havePeerCredentials } from '../os/index.js'
import { StorePath } from '../store-path/index.js'
import { WorkerClient } from './client.js'
import { storeHandlers } from './ops/index.js'
import { listen, systemdListenFd } from './server.js'
import { decideTrust, parseUserDb } from './trust.js'

const db = parseUserDb(
  'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/home/bob:/bin/sh\n',
  'root:x:0:\nalice:x:1000:\nusers:x:100:\nwheel:x:10:alice\n',
)

describe('trust decisions (trusted-users / allowed-users)', () => {
  const cases: Array<[string, { uid: number; gid: number } | undefined, string[], string[], string]> = [
    ['root is trusted by name', { uid: 0, gid: 0 }, ['root'], ['*'], 'trusted'],
    ['a member of @wheel is trusted', { uid: 1000, gid: 1000 }, ['root', '@wheel'], ['*'], 'trusted'],
    ['a primary group matches @group', { uid: 1001, gid: 100 }, ['@users'], [], 'trusted'],
    ['others are allowed by *', { uid: 1001, gid: 100 }, ['root'], ['*'], 'allowed'],
    ['and denied without it', { uid: 1001, gid: 100 }, ['root'], ['alice'], 'denied'],
    ['unknown credentials: never trusted', undefined, ['*'], ['*'], 'allowed'],
    ['unknown credentials: denied unless everyone is allowed', undefined, ['*'], ['root'], 'denied'],
  ]
  for (const [what, peer, trusted, allowed, want] of cases) {
    it(what, () => { assert.equal(decideTrust(peer, db, trusted, allowed).kind, want) })
  }
})

describe('listen() on a Unix socket', () => {
  it('serves WorkerClient.connect(), trusting root by its peer credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-proto-server-'))
    const store = new MemoryStore()
    const server = await listen({ path: join(dir, 'sock') }, { handlers: c => storeHandlers(store, c), trustedUsers: ['root'], allowedUsers: ['*'] })
    try {
      const c = await WorkerClient.connect(join(dir, 'sock'))
      assert.equal(c.trusted, isRoot && havePeerCredentials() ? 'Trusted' : 'NotTrusted')
      assert.equal(await c.isValidPath(StorePath.fromBaseName('g1w7hy3qg1w7hy3qg1w7hy3qg1w7hy3q-foo')), false)
      c.close()
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('closes on a denied user without a word', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-proto-server-'))
    const logs: string[] = []
    const server = await listen({ path: join(dir, 'sock') }, { handlers: () => ({}), trustedUsers: [], allowedUsers: [], log: m => logs.push(m) })
    try {
      await assert.rejects(WorkerClient.connect(join(dir, 'sock')), /end-of-file|EPIPE|ECONNRESET/)
      assert.match(logs[0] ?? '', /is not allowed to connect to the Nix daemon/)
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('finds the systemd socket only when LISTEN_PID is this process', () => {
    assert.equal(systemdListenFd({ LISTEN_PID: String(process.pid), LISTEN_FDS: '1' }), 3)
    assert.equal(systemdListenFd({ LISTEN_PID: '1', LISTEN_FDS: '1' }), undefined)
    assert.equal(systemdListenFd({}), undefined)
  })
})
