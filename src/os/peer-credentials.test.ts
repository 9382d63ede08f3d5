import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { havePeerCredentials, peerCredentials } from './peer-credentials.js'
import { skipBecause } from '../../test/support/env.js'

describe('peer credentials (SO_PEERCRED)', () => {
  it('reports the connecting process as the peer', async function () {
    if (!havePeerCredentials()) skipBecause(this, 'native addon not built (node native/build.mjs)')
    const dir = mkdtempSync(join(tmpdir(), 'tsnix-peercred-'))
    const path = join(dir, 'sock')
    try {
      const seen = await new Promise<ReturnType<typeof peerCredentials>>((resolve, reject) => {
        const server = createServer(c => { resolve(peerCredentials(c)); c.end(); server.close() })
        server.on('error', reject)
        server.listen(path, () => { createConnection(path).on('error', reject) })
      })
      // The client is this very process, so the kernel must report our own ids.
      assert.deepEqual(seen, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
