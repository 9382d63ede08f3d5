/**
 * The column codec against rows C++ Nix 2.8 wrote (copied from `sqlite3 db.sqlite 'select * from
 * ValidPaths'` on stores built with nix-store 2.8.0 while writing this module: an `--add`ed
 * file, a locally built output, a signed `toFile` path).
 */
import assert from 'node:assert/strict'
import { NixHash, parseContentAddress, StoreDir, StorePath } from '../store-path/index.js'
import { decodeSigs, decodeValidPath, encodeSigs, encodeValidPath, type ValidPathRow } from './row.js'
import { CorruptPathInfoError, BadPathInfoError } from './errors.js'

const storeDir = new StoreDir('/nix/store')

/** id|path|hash|registrationTime|deriver|narSize|ultimate|sigs|ca, NULL as ''. */
const CPP_ROWS = [
  '1|/nix/store/xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f|sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13|1795268846||120|||fixed:r:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw',
  '4|/nix/store/v4m4cs8ach2q8wk28zzzd3wwqkzg49yd-multi|sha256:dd18e776b98b687248e2ad7dcbe1222e3ebbfdb6d8d6d68c074c8e41c0d83fbe|1795268997|/nix/store/1bmj8i1j4hybag8zkpdjdnlamdqkbnjv-multi.drv|168|1|k1:kzsi2l/1fCL630HqUQQiY4B8pEphrayQXuod/eVrEANTO8JCwB3IQxtFyfJhXd7ECvOQ38W2PWgfB8AGK8XtCQ==|',
  '1|/nix/store/cl9975wf8b76nf5ad7ydipk064xi3sm2-dep.txt|sha256:0a430879c266f8b57f4092a0f935cf3facd48bbccde5760d4748ca405171e969|1795268985||120|||text:sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic',
]

function parseRow(line: string): { path: string; row: ValidPathRow } {
  const [id, path, hash, time, deriver, narSize, ultimate, sigs, ca] = line.split('|') as [string, string, string, string, string, string, string, string, string]
  const n = (s: string): string | null => (s === '' ? null : s)
  return { path, row: { id: Number(id), hash, registrationTime: Number(time), deriver: n(deriver), narSize: n(narSize) === null ? null : Number(narSize), ultimate: n(ultimate) === null ? null : Number(ultimate), sigs: n(sigs), ca: n(ca) } }
}

describe('pathinfo: ValidPaths column codec', () => {
  for (const line of CPP_ROWS) {
    const { path, row } = parseRow(line)
    it(`decodes and re-encodes ${path.slice(44)} exactly as C++ stored it`, () => {
      const p = storeDir.parse(path)
      const info = decodeValidPath(storeDir, p, row, [])
      assert.equal(info.narHash.format('base16', true), row.hash)
      assert.equal(info.narSize, row.narSize ?? 0)
      assert.equal(info.ultimate, row.ultimate === 1)
      assert.equal(info.deriver ? storeDir.print(info.deriver) : null, row.deriver)
      const { id: _id, ...cols } = row
      assert.deepEqual(encodeValidPath(storeDir, info, 0), { path, ...cols })
    })
  }

  it('reads NULLs as Nix does (narSize 0, not ultimate, no sigs) and accepts any prefixed hash form', () => {
    const p = StorePath.fromBaseName('xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f')
    const h = NixHash.parsePrefixed('sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13')
    const info = decodeValidPath(storeDir, p, { id: 1, hash: h.format('nix32'), registrationTime: '5', deriver: null, narSize: null, ultimate: 0, sigs: null, ca: null }, [])
    assert.ok(info.narHash.equals(h))
    assert.equal(info.narSize, 0)
    assert.equal(info.ultimate, false)
    assert.deepEqual(info.sigs, [])
    assert.equal(info.registrationTime, 5)
  })

  it('sorts and de-duplicates signatures like a std::set, and splits on single spaces', () => {
    assert.equal(encodeSigs(['b:2', 'a:1', 'b:2']), 'a:1 b:2')
    assert.equal(encodeSigs([]), null)
    assert.deepEqual(decodeSigs('b:2  a:1 '), ['a:1', 'b:2'])
    assert.deepEqual(decodeSigs(''), [])
    assert.throws(() => encodeSigs(['has space']), BadPathInfoError)
  })

  it('reports a corrupt row with the path it belongs to', () => {
    const p = StorePath.fromBaseName('xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f')
    const base: ValidPathRow = { id: 1, hash: 'sha256:00', registrationTime: 1, deriver: null, narSize: null, ultimate: null, sigs: null, ca: null }
    assert.throws(() => decodeValidPath(storeDir, p, base, []), (e: Error) => e instanceof CorruptPathInfoError && e.message.startsWith(`in valid-path entry for '/nix/store/xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f': `))
    const good = { ...base, hash: 'sha256:1c37d01af40be2e80691de3cc3df44377a699afbb17c68f080964b2fd071fc13' }
    assert.throws(() => decodeValidPath(storeDir, p, { ...good, ca: 'nonsense' }, []), CorruptPathInfoError)
    assert.throws(() => decodeValidPath(storeDir, p, good, ['/elsewhere/xp0dpr9yz5h0fk5c5lpj7zzqjbdh3w8c-f']), CorruptPathInfoError)
    assert.deepEqual(parseContentAddress('fixed:r:sha256:04zwf782yjwnh3q6hz5izfd6jyip8kgw6g6yj43fiqhbyhdd0dqw').method, 'nar')
  })
})
