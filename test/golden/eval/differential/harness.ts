/**
 * What the differential capture script and spec share: the case directory layout (fixture tree,
 * one file per case, a private nix.conf), the golden file format, how C++ Nix 2.34.8 is run in
 * batches inside the reference-nix chroot, and how an outcome is reduced for comparison (exit
 * status, stdout, the first error line with the case directory replaced by `/pwd`).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type DiffCase, FIXTURE_TREE } from './generate.js'

/** The seed the committed golden was generated with. */
export const DIFF_SEED = 6034

export interface Outcome {
  readonly exit: number
  /** stdout (binary string) when the exit status is 0. */
  readonly stdout?: string
  /** The first error message line (without `error: `), `/pwd` for the case directory. */
  readonly error?: string
}

export interface GoldenCase extends DiffCase, Outcome {}

export interface Golden {
  readonly nixVersion: string
  readonly seed: number
  readonly command: string
  readonly cases: readonly GoldenCase[]
}

/** nix.conf for both implementations: no features beyond a case's own flags. */
export const NIX_CONF = 'build-users-group =\nexperimental-features =\nsandbox = false\n'

export const BASE_FLAGS = ['--eval', '--strict', '--json']

const bin = (s: string): Buffer => Buffer.from(s, 'latin1')

/** Write the nix.conf (`conf/`), and the fixture tree and one `<id>.nix` per case (`cases/`) under `dir`. */
export function writeCaseDir(dir: string, cases: readonly DiffCase[]): void {
  mkdirSync(join(dir, 'conf'), { recursive: true })
  writeFileSync(join(dir, 'conf', 'nix.conf'), NIX_CONF)
  for (const [rel, node] of Object.entries(FIXTURE_TREE)) {
    const p = join(dir, 'cases', Buffer.from(rel, 'latin1').toString('utf8'))
    mkdirSync(dirname(p), { recursive: true })
    if (typeof node === 'string') writeFileSync(p, bin(node))
    else if ('exec' in node) { writeFileSync(p, bin(node.exec)); chmodSync(p, 0o755) }
    else symlinkSync(node.link, p)
  }
  mkdirSync(join(dir, 'cases'), { recursive: true })
  for (const c of cases) writeFileSync(join(dir, 'cases', `${c.id}.nix`), bin(c.expr))
}

/** The first `error: <msg>` line of stderr (C++ puts traces first, then the message). */
export function firstErrorLine(stderr: string, caseDir: string): string {
  const text = stderr.split(caseDir).join('/pwd')
  for (const line of text.split('\n')) {
    const m = /^\s*error: (.+)$/.exec(line)
    if (m) return m[1]!.trimEnd()
  }
  for (const line of text.split('\n')) if (/^\s*error:/.test(line)) return line.trim()
  return text.split('\n').find(l => l.trim() !== '' && !l.startsWith('warning:') && !l.startsWith('trace:'))?.trim() ?? ''
}

/** Cases grouped by their flags, in order (one C++ process can run a group). */
export function groupByFlags<T extends DiffCase>(cases: readonly T[]): T[][] {
  const groups = new Map<string, T[]>()
  for (const c of cases) {
    const k = `${(c.flags ?? []).join(' ')}\0${c.readWrite === true}`
    let g = groups.get(k)
    if (!g) groups.set(k, g = [])
    g.push(c)
  }
  return [...groups.values()]
}

export interface Chroot {
  readonly script: string
  readonly root: string
}

/**
 * Run the cases with C++ Nix in the chroot, batching: one `nix-instantiate f1 f2 …` prints a
 * line per value until the first failure, which is re-run alone for a clean stderr; the batch
 * resumes after it. `dirInChroot` is where `writeCaseDir` wrote (as seen inside the chroot).
 */
export function runCpp(ref: Chroot, dirInChroot: string, cases: readonly DiffCase[], batch = 150): Map<string, Outcome> {
  const out = new Map<string, Outcome>()
  const run = (c: DiffCase, files: readonly string[]): { status: number; stdout: string; stderr: string } => {
    const flags = c.flags ?? []
    const xp = flags.length > 0 ? ` --extra-experimental-features '${flags.join(' ')}'` : ''
    const store = c.readWrite === true ? `--read-write-mode --store local?root=${dirInChroot}/store` : ''
    const cmd = `cd ${dirInChroot}/cases && env -i PATH=/usr/bin:/bin HOME=/homeless-shelter NIX_CONF_DIR=${dirInChroot}/conf ${c.readWrite === true ? '' : 'NIX_REMOTE=dummy:// '}NIX_PATH= `
      + `nix-instantiate ${BASE_FLAGS.join(' ')}${xp} ${store} ${files.map(f => `./${f}`).join(' ')}`
    const r = spawnSync(ref.script, ['run', cmd], { maxBuffer: 256 << 20 })
    return { status: r.status ?? -1, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') }
  }
  for (const group of groupByFlags(cases)) {
    const first = group[0]!
    let i = 0
    while (i < group.length) {
      const slice = group.slice(i, i + batch)
      const r = run(first, slice.map(c => `${c.id}.nix`))
      const lines = r.stdout.split('\n')
      lines.pop()
      for (let k = 0; k < lines.length && k < slice.length; k++) out.set(slice[k]!.id, { exit: 0, stdout: lines[k]! + '\n' })
      if (r.status === 0) { i += slice.length; continue }
      const failed = slice[lines.length]
      if (failed === undefined) throw new Error(`nix-instantiate failed after printing every value: ${r.stderr.slice(0, 500)}`)
      const alone = run(first, [`${failed.id}.nix`])
      out.set(failed.id, { exit: alone.status, error: firstErrorLine(alone.stderr, `${dirInChroot}/cases`) })
      i += lines.length + 1
    }
  }
  return out
}

export function readGolden(path: string): Golden {
  return JSON.parse(readFileSync(path).toString('latin1')) as Golden
}

/** JSON with binary strings kept as one char per byte (written back as latin1). */
export function writeGolden(path: string, g: Golden): void {
  writeFileSync(path, Buffer.from(JSON.stringify(g, null, 1) + '\n', 'latin1'))
}

/** Why two outcomes differ, or undefined when they agree. */
export function compareOutcome(want: Outcome, got: Outcome): string | undefined {
  if (want.exit !== got.exit) return `exit ${got.exit} (want ${want.exit})${got.error !== undefined ? `: ${got.error}` : ''}`
  if (want.exit === 0) return want.stdout === got.stdout ? undefined : `stdout ${JSON.stringify(got.stdout)} (want ${JSON.stringify(want.stdout)})`
  return want.error === got.error ? undefined : `error ${JSON.stringify(got.error)} (want ${JSON.stringify(want.error)})`
}
