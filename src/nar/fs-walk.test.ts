import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isRoot, nix28, skipBecause, which } from '../../test/support/env.js'
import { openUnder, writeHandTree } from '../../test/support/nar-fs.js'
import { narWalkNative } from './fs-native.js'
import { collectBytes, concatBytes, dumpPath, dumpPathSync, encodeNarTree, hashPath, NarDumpError } from './index.js'

const bytes = (s: string): Buffer => Buffer.from(s)

/** Every way of dumping: the native walk, readFileAt per file, node:fs only. */
const WAYS = [
  { name: 'native walk', opts: {} },
  { name: 'readFileAt per file', opts: { walk: false } },
  { name: 'node:fs only', opts: { native: false } },
] as const

describe('NAR dump with the native directory walk', function () {
  this.timeout(60_000)
  let tmp: string
  let root: string
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tsnix-nar-walk-'))
    root = join(tmp, 't')
    // More than one fill (1 MiB) in one directory, files that do not fit the rest of a fill.
    const many = join(root, 'many')
    mkdirSync(many, { recursive: true })
    for (let i = 0; i < 400; i++) {
      const p = join(many, `f${i}`)
      if (i % 11 === 0) { symlinkSync(`f${i + 1}`, p); continue }
      writeFileSync(p, randomBytes((i * 7919) % 9000))
      if (i % 7 === 0) chmodSync(p, 0o755)
    }
    // More subdirectories than a fill's hole table holds (256), some empty, some not, some
    // nested (while they are walked, the directory's next fill runs ahead).
    const subs = join(root, 'subs')
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(subs, `d${i}`, ...(i % 2 === 0 ? ['sub'] : [])), { recursive: true })
      if (i % 3 === 0) writeFileSync(join(subs, `d${i}`, 'x'), `${i}`)
    }
    // Sizes around the small-file limits (chunkSize 8192 below; a fill's half), names sorted by bytes.
    const edge = join(root, 'edge')
    mkdirSync(edge)
    for (const n of [8191, 8192, 8193, 0, 1, 300_000, 700_000]) writeFileSync(join(edge, `size-${n}`), randomBytes(n))
    writeFileSync(join(edge, 'empty-x'), '')
    chmodSync(join(edge, 'empty-x'), 0o700)
    symlinkSync('t'.repeat(4000), join(edge, 'long-target'))
    for (const name of [[0xff], [0x80, 0x80], [0x42], [0x61], [0xc3, 0xa9], [0x65, 0xcc, 0x81]]) {
      writeFileSync(Buffer.concat([bytes(edge + '/'), Buffer.from(name)]), Buffer.from(name))
    }
    mkdirSync(join(root, 'deep', 'a', 'b', 'c', 'd'), { recursive: true })
    writeFileSync(join(root, 'deep', 'a', 'b', 'c', 'd', 'leaf'), 'leaf')
    mkdirSync(join(root, 'empty'))
  })
  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }) })

  it('dumps a hand-built tree as encodeNarTree encodes it, every way', async () => {
    const t = join(tmp, 'hand')
    const expected = encodeNarTree(writeHandTree(t))
    for (const w of WAYS) assert.deepEqual(await collectBytes(dumpPath(t, w.opts)), expected, w.name)
  })

  it('writes the same bytes every way, with every consumer, and the bytes nix-store --dump writes', async function () {
    const want = await collectBytes(dumpPath(root, { native: false }))
    const n = nix28()
    if (n) assert.ok(Buffer.from(want).equals(execFileSync(n.nixStore, ['--dump', root], { maxBuffer: 1 << 28 })), 'nix-store --dump')
    const digest = createHash('sha256').update(want).digest('hex')
    for (const w of WAYS) {
      // (2 MiB: above what a fill takes as a small file, half its 1 MiB.)
      for (const chunkSize of [8192, 256 * 1024, 2 * 1024 * 1024]) {
        const what = `${w.name}, chunkSize ${chunkSize}`
        assert.deepEqual(await collectBytes(dumpPath(root, { ...w.opts, chunkSize })), want, what)
        const recycled: Uint8Array[] = []
        for await (const p of dumpPath(root, { ...w.opts, chunkSize, recycle: true })) recycled.push(new Uint8Array(p))
        assert.deepEqual(concatBytes(recycled), want, `${what}, recycled`)
        const synced: Uint8Array[] = []
        const ranges: Uint8Array[] = []
        dumpPathSync(root, p => synced.push(new Uint8Array(p)), { ...w.opts, chunkSize })
        dumpPathSync(root, p => ranges.push(new Uint8Array(p)), {
          ...w.opts, chunkSize, sendRange: r => {
            const b = Buffer.alloc(r.length)
            const k = execFileSync('dd', [`if=/proc/self/fd/0`, 'bs=1M', 'status=none', 'iflag=skip_bytes,count_bytes', `skip=${r.position}`, `count=${r.length}`], { stdio: [r.fd, 'pipe', 'pipe'], maxBuffer: 1 << 28 })
            k.copy(b)
            ranges.push(b)
            return k.length
          },
        })
        assert.deepEqual(concatBytes(synced), want, `${what}, dumpPathSync`)
        assert.deepEqual(concatBytes(ranges), want, `${what}, dumpPathSync with file ranges`)
        assert.equal((await hashPath(root, 'sha256', { ...w.opts, chunkSize })).hash.toBase16(), digest, `${what}, hashPath`)
      }
    }
  })

  it('hands on every fill of a directory whose next fill ran ahead (async, repeated)', async () => {
    // A regression: the walk's last fill settling in the background ended the directory early.
    const want = await collectBytes(dumpPath(join(root, 'subs'), { native: false }))
    for (let i = 0; i < 8; i++) assert.deepEqual(await collectBytes(dumpPath(join(root, 'subs'))), want, `run ${i}`)
  })

  it('leaves no directory or file open when the consumer stops early, async or sync', async function () {
    if (narWalkNative() === null) skipBecause(this, 'the native addon (narWalk*) is not built')
    // (Without the helper thread: it closes its last file on its own time, after the job.)
    const opts = { chunkSize: 8192, helper: 'never' } as const
    let total = 0
    dumpPathSync(root, () => { total++ }, opts)
    assert.ok(total >= 3, `only ${total} pieces`)
    for (const stopAfter of [1, Math.ceil(total / 3), Math.ceil((2 * total) / 3)]) {
      let k = 0
      for await (const p of dumpPath(root, opts)) { void p; if (++k === stopAfter) break }
      assert.deepEqual(openUnder(root), [], `async, stopped after ${stopAfter} pieces`)
      k = 0
      assert.throws(() => dumpPathSync(root, () => { if (++k === stopAfter) throw new Error('stop') }, opts), /stop/)
      assert.deepEqual(openUnder(root), [], `sync, stopped after ${stopAfter} pieces`)
    }
  })

  it('reports an unreadable file or directory as node:fs does', async function () {
    // Root reads anything: then the dumps run in a child process as nobody (setpriv).
    const setpriv = isRoot ? which('setpriv') : undefined
    if (isRoot && setpriv === undefined) skipBecause(this, 'root reads files without read permission, and setpriv is not installed')
    const t = join(tmp, 'unreadable')
    mkdirSync(join(t, 'dir'), { recursive: true })
    writeFileSync(join(t, 'file'), 'secret')
    chmodSync(tmp, 0o755)
    chmodSync(root, 0o755)
    const codes = async (): Promise<string[]> => {
      if (setpriv === undefined) {
        const out: string[] = []
        for (const w of WAYS) {
          try { await collectBytes(dumpPath(t, w.opts)); out.push('none') } catch (e) { out.push(String((e as NodeJS.ErrnoException).code)) }
        }
        return out
      }
      const script = `import { collectBytes, dumpPath } from ${JSON.stringify(new URL('./index.js', import.meta.url).href)}
        const out = []
        for (const o of ${JSON.stringify(WAYS.map(w => w.opts))}) {
          try { await collectBytes(dumpPath(${JSON.stringify(t)}, o)); out.push('none') } catch (e) { out.push(String(e.code)) }
        }
        console.log(JSON.stringify(out))`
      const r = execFileSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' })
      return JSON.parse(r) as string[]
    }
    try {
      chmodSync(join(t, 'file'), 0)
      assert.deepEqual(await codes(), WAYS.map(() => 'EACCES'), 'an unreadable file')
      chmodSync(join(t, 'file'), 0o644)
      chmodSync(join(t, 'dir'), 0)
      assert.deepEqual(await codes(), WAYS.map(() => 'EACCES'), 'an unreadable directory')
    } finally {
      chmodSync(join(t, 'dir'), 0o755)
      chmodSync(join(t, 'file'), 0o644)
    }
  })

  it('fails, closing its files, when a big file shrinks while its contents come in fills', async () => {
    const victim = join(tmp, 'shrinks')
    mkdirSync(victim)
    const big = join(victim, 'big')
    for (const sync of [true, false]) {
      writeFileSync(big, randomBytes(24 * 1024 * 1024))
      writeFileSync(join(victim, 'small'), 'after it')
      const shrink = (): void => { if (lstatSync(big).size > 1024 * 1024) truncateSync(big, 1024 * 1024) }
      const changed = (e: unknown): boolean => e instanceof NarDumpError && /'.*\/big' changed while it was being read \(shorter than expected\)/.test(e.message)
      if (sync) {
        assert.throws(() => dumpPathSync(victim, shrink, { helper: 'never' }), changed)
      } else {
        await assert.rejects((async () => { for await (const p of dumpPath(victim, { helper: 'never' })) { void p; shrink() } })(), changed)
      }
      assert.deepEqual(openUnder(victim), [], `sync ${sync}`)
    }
  })

  it('refuses a file that reads shorter than its size, every way', async function () {
    // sysfs files claim 4096 bytes and hold fewer: a file that "changed while it was being read".
    const dir = '/sys/kernel/mm/transparent_hugepage'
    if (!existsSync(dir)) skipBecause(this, `${dir} is not there`)
    for (const w of WAYS) {
      await assert.rejects(collectBytes(dumpPath(dir, w.opts)),
        (e: unknown) => e instanceof NarDumpError && /changed while it was being read \(shorter than expected\)/.test(e.message), w.name)
    }
  })
})
