import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { directoryServiceSuite } from './directory-service.conformance.js'
import { CorruptObjectError, ProtoDecodeError } from './errors.js'
import { DIRECTORY_A, DIRECTORY_B, DIRECTORY_WITH_KEEP } from './fixtures.js'
import { FsDirectoryService } from './fs-directory-service.js'
import { MemoryDirectoryService } from './memory-directory-service.js'

describe('DirectoryService conformance', () => {
  let dirs: string[] = []
  afterEach(async () => { await Promise.all(dirs.map(d => rm(d, { recursive: true, force: true }))); dirs = [] })
  describe('memory', () => directoryServiceSuite(async () => new MemoryDirectoryService()))
  describe('filesystem', () => directoryServiceSuite(async () => {
    const d = await mkdtemp(join(tmpdir(), 'tsnix-dirs-')); dirs.push(d)
    return FsDirectoryService.open(d)
  }))
})

describe('FsDirectoryService', () => {
  let root: string
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'tsnix-dirs-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('stores canonical bytes at dirs/<2 hex>/<64 hex> and rejects tampered ones', async () => {
    const svc = await FsDirectoryService.open(root)
    await svc.put(DIRECTORY_A); await svc.put(DIRECTORY_B); await svc.put(DIRECTORY_WITH_KEEP)
    const p = join(root, 'dirs', DIRECTORY_B.digest.hex.slice(0, 2), DIRECTORY_B.digest.hex)
    assert.deepEqual(new Uint8Array(await readFile(p)), DIRECTORY_B.encode())
    await chmod(p, 0o644)
    await writeFile(p, DIRECTORY_WITH_KEEP.encode())
    await assert.rejects(new FsDirectoryService(svc.store).get(DIRECTORY_B.digest), CorruptObjectError)
    // Bytes that hash right but are not a canonical Directory cannot be produced by put(); a
    // hand-placed file named after its own hash still fails to decode.
    const junk = Uint8Array.of(0x0a, 0x02, 0x08, 0x01)
    const { B3Digest } = await import('./digest.js')
    const jd = B3Digest.of(junk)
    await svc.store.put('dir', jd, junk)
    await assert.rejects(svc.get(jd), ProtoDecodeError)
  })
})
