/**
 * Differential tests of the NAR layer against C++ Nix over seeded generated trees (see
 * gen-tree.ts): NAR bytes vs `nix-store --dump`, NAR hashes vs `nix-hash`, store paths vs
 * `nix-store --add` / `--add-fixed` in a private store root (never the host's /nix/store), and
 * restores in both directions. C++ Nix 2.8 runs on the host; a subset also runs against 2.34
 * in the reference chroot when it is set up.
 *
 * TSNIX_NAR_TREES sets the number of trees (default 200); TSNIX_NAR_SEED the seed (default 1).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { collectBytes, dumpPath, hashFile, hashPath, listNar, lsFileJson, parseLsFile, restorePath } from '../../../src/nar/index.js'
import { type HashAlgo, makeFixedOutputPath, StoreDir } from '../../../src/store-path/index.js'
import { isRoot, nix28, referenceNix, skipBecause } from '../../support/env.js'
import { distRoot } from '../../support/paths.js'
import { type GenStats, writeTree } from './gen-tree.js'

const N = Number(process.env['TSNIX_NAR_TREES'] ?? 200)
const SEED = Number(process.env['TSNIX_NAR_SEED'] ?? 1)
const BIG: Record<number, number> = { 0: 64 * 1024 * 1024, 1: 8 * 1024 * 1024 + 3, 2: 1024 * 1024 + 1 }
const storeDir = new StoreDir('/nix/store')

const treeName = (i: number): string => `tree-${String(i).padStart(3, '0')}`
async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> { yield b }

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync(cmd, args, { maxBuffer: 1 << 30, ...(input ? { input } : {}), stdio: ['pipe', 'pipe', 'pipe'] })
}
const lines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter(l => l !== '')

/** Everything restore must reproduce: type, permission bits, contents or target, per path. */
function snapshot(root: string): string[] {
  const out: string[] = []
  const walk = (p: Buffer, rel: string): void => {
    const st = lstatSync(p)
    if (st.isDirectory()) {
      out.push(`${rel} d ${(st.mode & 0o7777).toString(8)}`)
      for (const n of readdirSync(p, { encoding: 'buffer' })) walk(Buffer.concat([p, Buffer.from('/'), n]), `${rel}/${n.toString('hex')}`)
    } else if (st.isSymbolicLink()) {
      out.push(`${rel} l ${readlinkSync(p, { encoding: 'buffer' }).toString('hex')}`)
    } else {
      out.push(`${rel} f ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`)
    }
  }
  walk(Buffer.from(root), '.')
  return out.sort()
}

function allUtf8(root: string): boolean {
  const dec = new TextDecoder('utf-8', { fatal: true })
  const walk = (p: Buffer): boolean => !lstatSync(p).isDirectory() ||
    readdirSync(p, { encoding: 'buffer' }).every(n => { try { dec.decode(n) } catch { return false } return walk(Buffer.concat([p, Buffer.from('/'), n])) })
  return walk(Buffer.from(root))
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i} of ${a.length} / ${b.length}`
  return `lengths ${a.length} / ${b.length}`
}

describe('golden: NAR vs C++ Nix 2.8 over generated trees', function () {
  this.timeout(900_000)
  let work: string
  let trees: string
  let paths: string[]
  let fileRoots: string[]
  const stats: GenStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
  let nix: NonNullable<ReturnType<typeof nix28>>

  before(function () {
    const n = nix28()
    if (!n) skipBecause(this, 'C++ Nix 2.8 (nix-store, nix-hash) is not installed')
    nix = n
    work = mkdtempSync(join(tmpdir(), 'tsnix-nar-diff-'))
    trees = join(work, 'trees')
    mkdirSync(trees)
    paths = []
    fileRoots = []
    for (let i = 0; i < N; i++) {
      const p = join(trees, treeName(i))
      writeTree(Buffer.from(p), SEED, i, BIG[i], stats)
      paths.push(p)
      if (lstatSync(p).isFile()) fileRoots.push(p)
    }
    assert.ok(stats.files > N && stats.symlinks > N / 4, `generator made too little: ${JSON.stringify(stats)}`)
  })
  after(() => { if (work) rmSync(work, { recursive: true, force: true }) })

  // The NARs of the whole family, computed once and shared by the tests below.
  let oursAll: Uint8Array | undefined
  let theirsAll: Buffer | undefined
  const bothNars = async (): Promise<[Uint8Array, Buffer]> => {
    oursAll ??= await collectBytes(dumpPath(trees))
    theirsAll ??= run(nix.nixStore, ['--dump', trees])
    return [oursAll, theirsAll]
  }

  it('writes the same NAR bytes as nix-store --dump (all trees as one NAR, and single trees)', async () => {
    const [ours, theirs] = await bothNars()
    assert.ok(Buffer.from(ours).equals(theirs), firstDifference(ours, theirs))
    // The default walks natively when the addon is built (src/nar/fs-walk.ts); the other ways too.
    for (const opts of [{ walk: false }, { native: false }]) {
      const other = await collectBytes(dumpPath(trees, opts))
      assert.ok(Buffer.from(other).equals(theirs), `${JSON.stringify(opts)}: ${firstDifference(other, theirs)}`)
    }
    // `tsnix nar dump` into a pipe: the walk writes small files to it itself (direct fills)
    const cli = run(process.execPath, [join(distRoot, 'src', 'cli', 'main.js'), 'nar', 'dump', trees])
    assert.ok(cli.equals(theirs), `nar dump | …: ${firstDifference(cli, theirs)}`)
    for (let i = 0; i < Math.min(N, 24); i++) {
      const p = paths[(i * 37) % N]!
      const t = run(nix.nixStore, ['--dump', p])
      const o = await collectBytes(dumpPath(p))
      assert.ok(Buffer.from(o).equals(t), `${p}: ${firstDifference(o, t)}`)
    }
  })

  it('computes the NAR hashes nix-hash --type sha256 --base32 prints', async () => {
    const theirs = lines(run(nix.nixHash, ['--type', 'sha256', '--base32', ...paths]))
    const ours: string[] = []
    for (const p of paths) ours.push((await hashPath(p)).hash.toNix32())
    assert.deepEqual(ours, theirs)
  })

  describe('store paths in a private store root', () => {
    let store: string
    before(() => { store = join(work, 'store') })

    it('source paths equal nix-store --add', async () => {
      const theirs = lines(run(nix.nixStore, ['--store', store, '--add', ...paths]))
      const ours: string[] = []
      for (const [i, p] of paths.entries()) ours.push(storeDir.print(makeFixedOutputPath(storeDir, treeName(i), 'nar', (await hashPath(p)).hash)))
      assert.deepEqual(ours, theirs)
    })

    it('listings equal the .ls files nix copy writes to a binary cache', async () => {
      const some = paths.filter((_, i) => i % 10 === 0 || i % 12 === 5 || i % 12 === 7).slice(0, 24)
      const storePaths = lines(run(nix.nixStore, ['--store', store, '--add', ...some]))
      const cache = join(work, 'cache')
      run(nix.nixStore.replace(/nix-store$/, 'nix'), ['--extra-experimental-features', 'nix-command', 'copy', '--from', `local?root=${store}`,
        '--to', `file://${cache}?write-nar-listing=true&compression=none`, ...storePaths])
      for (const [i, p] of some.entries()) {
        const theirs = JSON.parse(readFileSync(join(cache, `${storeDir.parse(storePaths[i]!).hashPart}.ls`), 'utf8')) as unknown
        const ours = JSON.parse(lsFileJson(await listNar(dumpPath(p)))) as unknown
        assert.deepEqual(ours, theirs, p)
        assert.deepEqual(JSON.parse(lsFileJson(parseLsFile(theirs))), theirs)
      }
    })

    for (const algo of ['sha256', 'sha1', 'md5'] as HashAlgo[]) {
      it(`recursive fixed-output paths equal nix-store --add-fixed --recursive ${algo}`, async () => {
        // The big files are covered by sha256 (the same paths as --add); copying them into the
        // store twice more would only cost time.
        const some = algo === 'sha256' ? paths : paths.filter((_, i) => BIG[i] === undefined)
        const theirs = lines(run(nix.nixStore, ['--store', store, '--add-fixed', '--recursive', algo, ...some]))
        const ours: string[] = []
        for (const p of some) ours.push(storeDir.print(makeFixedOutputPath(storeDir, p.slice(p.lastIndexOf('/') + 1), 'nar', (await hashPath(p, algo)).hash)))
        assert.deepEqual(ours, theirs)
      })

      it(`flat fixed-output paths equal nix-store --add-fixed ${algo}`, async () => {
        assert.ok(fileRoots.length >= 5)
        const theirs = lines(run(nix.nixStore, ['--store', store, '--add-fixed', algo, ...fileRoots]))
        const ours: string[] = []
        for (const p of fileRoots) ours.push(storeDir.print(makeFixedOutputPath(storeDir, p.slice(p.lastIndexOf('/') + 1), 'flat', (await hashFile(p, algo)).hash)))
        assert.deepEqual(ours, theirs)
      })
    }
  })

  it('nix-store --restore of our NAR equals our restore of its NAR', async () => {
    const [ours, theirs] = await bothNars()
    run(nix.nixStore, ['--restore', join(work, 'by-cpp')], ours)
    await restorePath(join(work, 'by-us'), once(theirs))
    const a = snapshot(join(work, 'by-cpp'))
    const b = snapshot(join(work, 'by-us'))
    assert.equal(a.length, b.length)
    assert.deepEqual(b, a)
  })
})

describe('golden: NAR vs C++ Nix 2.34 (reference chroot, a subset of the trees)', function () {
  this.timeout(600_000)
  let ref: NonNullable<ReturnType<typeof referenceNix>>
  let hostDir: string
  let inside: string
  const subset: string[] = []

  before(function () {
    const r = referenceNix()
    if (!r) skipBecause(this, 'reference C++ Nix 2.34 chroot is not set up (../shared/tools/reference-nix setup)')
    if (!isRoot) skipBecause(this, 'running the reference chroot needs root')
    ref = r
    mkdirSync(join(r.root, 'data'), { recursive: true })
    hostDir = mkdtempSync(join(r.root, 'data', 'tsnix-nar-'))
    inside = '/data/' + hostDir.slice(hostDir.lastIndexOf('/') + 1)
    const stats: GenStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    mkdirSync(join(hostDir, 'trees'))
    for (let i = 1; i < Math.min(N, 40); i++) {
      writeTree(Buffer.from(join(hostDir, 'trees', treeName(i))), SEED + 1, i, BIG[i], stats)
      subset.push(treeName(i))
    }
  })
  after(() => { if (hostDir) rmSync(hostDir, { recursive: true, force: true }) })

  const inRef = (cmd: string): Buffer => execFileSync(ref.script, ['run', cmd], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] })

  it('writes the same NAR bytes as nix-store --dump and the hashes nix-hash prints', async () => {
    const theirs = inRef(`nix-store --dump ${inside}/trees`)
    const ours = await collectBytes(dumpPath(join(hostDir, 'trees')))
    assert.ok(Buffer.from(ours).equals(theirs), firstDifference(ours, theirs))
    const hashes = lines(inRef(`cd ${inside}/trees && nix-hash --type sha256 --sri ${subset.join(' ')}`))
    const mine: string[] = []
    for (const t of subset) mine.push((await hashPath(join(hostDir, 'trees', t))).hash.toSRI())
    assert.deepEqual(mine, hashes)
  })

  it('computes the paths nix-store --add and --add-fixed --recursive sha1 print', async () => {
    const add = lines(inRef(`cd ${inside}/trees && nix-store --store ${inside}/store --add ${subset.join(' ')}`))
    const fixed = lines(inRef(`cd ${inside}/trees && nix-store --store ${inside}/store --add-fixed --recursive sha1 ${subset.join(' ')}`))
    const mineAdd: string[] = []
    const mineFixed: string[] = []
    for (const t of subset) {
      const p = join(hostDir, 'trees', t)
      mineAdd.push(storeDir.print(makeFixedOutputPath(storeDir, t, 'nar', (await hashPath(p)).hash)))
      mineFixed.push(storeDir.print(makeFixedOutputPath(storeDir, t, 'nar', (await hashPath(p, 'sha1')).hash)))
    }
    assert.deepEqual(mineAdd, add)
    assert.deepEqual(mineFixed, fixed)
  })

  it('writes .ls listings text for text as nix copy does', async () => {
    // C++ 2.34 refuses to write a listing with a name that is not UTF-8 (nlohmann type_error
    // 316); we write U+FFFD instead. Compare on trees whose names are all UTF-8.
    const some = subset.filter(t => allUtf8(join(hostDir, 'trees', t))).slice(0, 8)
    assert.ok(some.length >= 4)
    const added = lines(inRef(`cd ${inside}/trees && nix-store --store ${inside}/store --add ${some.join(' ')}`))
    inRef(`nix copy --from 'local?root=${inside}/store' --to 'file://${inside}/cache?write-nar-listing=true&compression=none' ${added.join(' ')}`)
    for (const [i, t] of some.entries()) {
      const theirs = readFileSync(join(hostDir, 'cache', `${storeDir.parse(added[i]!).hashPart}.ls`), 'utf8')
      assert.equal(lsFileJson(await listNar(dumpPath(join(hostDir, 'trees', t)))), theirs, t)
    }
  })

  it('restores our NAR as we restore its NAR', async () => {
    writeFileSync(join(hostDir, 'ours.nar'), await collectBytes(dumpPath(join(hostDir, 'trees'))))
    inRef(`nix-store --restore ${inside}/by-cpp < ${inside}/ours.nar`)
    const theirs = inRef(`nix-store --dump ${inside}/trees`)
    await restorePath(join(hostDir, 'by-us'), once(theirs))
    assert.deepEqual(snapshot(join(hostDir, 'by-us')), snapshot(join(hostDir, 'by-cpp')))
  })
})
