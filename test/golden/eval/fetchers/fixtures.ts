/**
 * Fixtures and cases of the fetcher golden (see README.md). The fixtures are made the same way
 * for the capture (inside the reference-nix chroot) and for the spec (in a temporary
 * directory), with fixed times and Git identities so that archives, commits and `lastModified`
 * are reproducible; `$D` in a case stands for the fixture directory.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, lutimesSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const T0 = 1577836800 // 2020-01-01T00:00:00Z
const T1 = 1580515200 // 2020-02-01T00:00:00Z

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
}

function touchTree(dir: string, paths: readonly string[], t: number): void {
  for (const p of paths) utimesSync(join(dir, p), t, t)
}

/** Build every fixture under `dir` (which must exist and be empty). */
export function makeFetchFixtures(dir: string): void {
  // a tree and archives of it (one top-level directory), plus one with two top-level files
  const t = join(dir, 'tree')
  mkdirSync(join(t, 'top', 'sub'), { recursive: true })
  writeFileSync(join(t, 'top', 'a'), 'one\n')
  chmodSync(join(t, 'top', 'a'), 0o755)
  writeFileSync(join(t, 'top', 'sub', 'b'), 'two\n')
  symlinkSync('a', join(t, 'top', 'l'))
  lutimesSync(join(t, 'top', 'l'), T0, T0)
  touchTree(t, ['top/a', 'top/sub/b', 'top/sub', 'top'], T0)
  utimesSync(join(t, 'top', 'sub', 'b'), T1, T1)
  const tarArgs = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu']
  run('tar', [...tarArgs, '-cf', join(dir, 'one.tar'), 'top'], t)
  run('sh', ['-c', 'gzip -n -9 -c one.tar > one.tar.gz && xz -9 -c one.tar > one.tar.xz && bzip2 -9 -c one.tar > one.tar.bz2'], dir)
  run('zip', ['-q', '-X', '-y', '-r', join(dir, 'one.zip'), 'top'], t, { TZ: 'UTC' })
  mkdirSync(join(dir, 'two'))
  writeFileSync(join(dir, 'two', 'x'), 'x\n')
  writeFileSync(join(dir, 'two', 'y'), 'y\n')
  touchTree(join(dir, 'two'), ['x', 'y'], T0)
  run('tar', [...tarArgs, '-czf', join(dir, 'two.tar.gz'), 'x', 'y'], join(dir, 'two'), { GZIP: '-n' })
  writeFileSync(join(dir, 'plain.txt'), 'plain\n')

  // a Git repository: two commits, an export-ignore'd file; a dirty copy and a bare clone
  // (the bare clone is not a case: C++ fetches `file://` bare repositories with the `git`
  // binary, which the reference chroot does not have)
  const r = join(dir, 'repo')
  mkdirSync(join(r, 'd'), { recursive: true })
  const gitEnv = {
    GIT_AUTHOR_NAME: 'n', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'n', GIT_COMMITTER_EMAIL: 'a@b',
    GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', TZ: 'UTC',
  }
  run('git', ['init', '-q', '-b', 'main'], r, gitEnv)
  writeFileSync(join(r, 'f'), 'hello\n')
  writeFileSync(join(r, 'd', 'w'), 'w\n')
  writeFileSync(join(r, 'exe'), '#!/bin/sh\n')
  chmodSync(join(r, 'exe'), 0o755)
  symlinkSync('f', join(r, 'lnk'))
  writeFileSync(join(r, '.gitattributes'), 'd/w export-ignore\n')
  run('git', ['add', '.'], r, gitEnv)
  run('git', ['commit', '-q', '-m', 'one'], r, { ...gitEnv, GIT_AUTHOR_DATE: `@${T0} +0000`, GIT_COMMITTER_DATE: `@${T0} +0000` })
  writeFileSync(join(r, 'f'), 'hello\nmore\n')
  run('git', ['commit', '-q', '-a', '-m', 'two'], r, { ...gitEnv, GIT_AUTHOR_DATE: `@${T1} +0000`, GIT_COMMITTER_DATE: `@${T1} +0000` })
  run('git', ['tag', 'v1', 'HEAD~1'], r, gitEnv)
  run('git', ['branch', 'side', 'HEAD~1'], r, gitEnv)
  run('cp', ['-a', r, join(dir, 'drepo')], dir)
  writeFileSync(join(dir, 'drepo', 'f'), 'dirty\n')
  writeFileSync(join(dir, 'drepo', 'untracked'), 'u\n')
  run('git', ['clone', '-q', '--bare', r, join(dir, 'bare.git')], dir, gitEnv)
}

/** The commits of `repo` (fixed by the identities and dates above). */
export const REV_ONE = 'REV_ONE'
export const REV_TWO = 'REV_TWO'

/** Expressions; `$D` is the fixture directory, `REV_ONE`/`REV_TWO` the commits. */
export const FETCH_CASES: readonly string[] = [
  'builtins.fetchurl "file://$D/one.tar.gz"',
  'builtins.fetchurl { url = "file://$D/plain.txt"; name = "renamed"; }',
  'builtins.fetchurl { url = "file://$D/plain.txt"; sha256 = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }',
  'builtins.fetchurl "file://$D/nope"',
  'builtins.fetchurl { url = "file://$D/plain.txt"; foo = 1; }',
  'builtins.fetchurl { name = "x"; }',
  'builtins.fetchTarball "file://$D/one.tar.gz"',
  'builtins.fetchTarball "file://$D/one.tar.xz"',
  'builtins.fetchTarball "file://$D/one.tar.bz2"',
  'builtins.fetchTarball "file://$D/one.zip"',
  'builtins.fetchTarball "file://$D/two.tar.gz"',
  'builtins.fetchTarball { url = "file://$D/one.tar.gz"; name = "src"; }',
  'builtins.fetchTarball { url = "file://$D/one.tar.gz"; sha256 = ""; }',
  'builtins.fetchGit $D/repo',
  'builtins.fetchGit "file://$D/repo"',
  'builtins.fetchGit { url = $D/repo; rev = "REV_ONE"; }',
  'builtins.fetchGit { url = $D/repo; ref = "side"; }',
  'builtins.fetchGit { url = $D/repo; ref = "refs/tags/v1"; }',
  'builtins.fetchGit { url = $D/repo; ref = "nope"; }',
  'builtins.fetchGit { url = $D/repo; rev = "abc"; }',
  'builtins.fetchGit { url = $D/repo; exportIgnore = false; }',
  'builtins.fetchGit { url = $D/repo; name = "named"; }',
  'builtins.fetchGit { url = $D/repo; shallow = true; }',
  'builtins.fetchGit $D/drepo',
  'builtins.fetchGit { url = $D/drepo; ref = "main"; }',
  'builtins.fetchGit { url = $D/repo; foo = 1.5; }',
  'builtins.fetchTree { type = "git"; url = "file://$D/repo"; }',
  'builtins.fetchTree { type = "git"; url = "file://$D/repo"; rev = "REV_ONE"; shallow = false; }',
  'builtins.fetchTree { type = "git"; url = "file://$D/repo"; name = "x"; }',
  'builtins.fetchTree { type = "path"; path = "$D/tree/top"; }',
  'builtins.fetchTree { type = "path"; path = "rel"; }',
  'builtins.fetchTree { type = "file"; url = "file://$D/plain.txt"; }',
  'builtins.fetchTree { type = "tarball"; url = "file://$D/one.tar.gz"; }',
  'builtins.fetchTree { type = "tarball"; url = "file://$D/two.tar.gz"; }',
  'builtins.fetchTree { type = "file"; url = "file://$D/plain.txt"; narHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }',
  'builtins.fetchTree { type = "file"; }',
  'builtins.fetchTree { type = "foo"; }',
  'builtins.fetchTree { type = "file"; url = "file://$D/plain.txt"; owner = -1; }',
  'builtins.fetchTree { type = "file"; url = "file://$D/plain.txt"; extra = "x"; }',
  'builtins.fetchTree "path:$D/tree/top"',
  'builtins.fetchTree "file://$D/one.tar.gz"',
  'builtins.fetchTree "file:./relative.tar.gz"',
  'derivationStrict { name = "uses-src"; builder = "/bin/sh"; system = "x"; src = builtins.fetchGit $D/repo; }',
]

/**
 * Turn a case into an expression for fixtures at `dir`. `--json` prints a set with `outPath` as
 * that path only, so the attribute sets fetchGit/fetchTree return are shown as a list of the
 * path and the other attributes.
 */
export function instantiateCase(c: string, dir: string, revs: { one: string; two: string }): string {
  const e = c.split('$D').join(dir).split(REV_ONE).join(revs.one).split(REV_TWO).join(revs.two)
  return /^builtins\.fetch(Git|Tree)\b/.test(e) ? `let r = ${e}; in [ r.outPath (builtins.removeAttrs r [ "outPath" ]) ]` : e
}

export function repoRevs(dir: string): { one: string; two: string } {
  const rev = (r: string): string => execFileSync('git', ['rev-parse', r], { cwd: join(dir, 'repo') }).toString().trim()
  return { one: rev('HEAD~1'), two: rev('HEAD') }
}
