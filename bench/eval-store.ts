/**
 * The evaluator's store-facing work, as whole processes beside C++ Nix 2.34.8 (reference-nix
 * chroot): many `derivationStrict` calls (ATerm printing, hash modulo, output and `.drv`
 * paths) in read-only mode, a dependency chain (hash modulo of inputs), NAR hashing of a source
 * tree for `"${./tree}"`, and `nix-instantiate` writing `.drv` files into a private local store.
 * Ratio: C++ CPU seconds / tsnix CPU seconds (above 1.0: tsnix is faster).
 *
 *   npm run bench -- eval-store          (3 runs each)
 *   npm run bench -- --quick eval-store  (1 run each, smaller workloads)
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchOptions, BenchResult, Measurement } from './types.js'

export const name = 'eval-store'

const here = fileURLToPath(new URL('.', import.meta.url))
const repo = resolve(here, '..', '..')
const shared = process.env['TSNIX_SHARED'] ?? resolve(repo, '..', 'shared')
const referenceNix = join(shared, 'tools', 'reference-nix')
const cli = join(repo, 'dist', 'src', 'cli', 'main.js')

interface Run { wall: number; cpu: number; rssMiB: number; stdout: string }

function timed(argv: string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 28 })
  const last = r.stderr.trim().split('\n').pop() ?? ''
  const [e, u, s, m] = last.split(' ').map(Number)
  if (r.status !== 0 || e === undefined || Number.isNaN(e)) throw new Error(`${argv.join(' ')} failed: ${r.stderr.slice(-500)}`)
  return { wall: e, cpu: u! + s!, rssMiB: Math.round(m! / 1024), stdout: r.stdout.trim() }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function measure(label: string, runs: number, run: () => Run, check: (out: string) => void, before?: () => void): Measurement {
  const rs: Run[] = []
  before?.()
  run()
  for (let i = 0; i < runs; i++) { before?.(); rs.push(run()) }
  for (const r of rs) check(r.stdout)
  return {
    label,
    seconds: median(rs.map(r => r.cpu)),
    extra: { wallS: median(rs.map(r => r.wall)), cpuS: median(rs.map(r => r.cpu)), peakRssMiB: median(rs.map(r => r.rssMiB)) },
  }
}

function referenceRoot(): string | undefined {
  if (!existsSync(referenceNix) || process.getuid?.() !== 0) return undefined
  const root = process.env['REFERENCE_NIX_ROOT'] ?? '/var/tmp/reference-nix'
  return existsSync(join(root, 'usr', 'bin', 'nix-instantiate')) ? root : undefined
}

/** A source tree: `files` files of a few KiB spread over directories. */
function makeTree(dir: string, files: number): void {
  for (let i = 0; i < files; i++) {
    const d = join(dir, `d${i % 37}`, `e${i % 11}`)
    mkdirSync(d, { recursive: true })
    writeFileSync(join(d, `f${i}.txt`), `file ${i}\n`.repeat(200 + (i % 300)))
  }
}

/**
 * The shape of a nixpkgs evaluation: `n` packages built with a `stdenv` (three outputs, about
 * twenty environment variables, a fixed-output source each, string contexts reaching earlier
 * packages' `dev` outputs), printed as the SHA-256 of every `.drv` path and `dev` output path.
 */
function stdenvLike(n: number): string {
  return `let
  system = "x86_64-linux";
  mk = attrs: derivation ({ inherit system; builder = "/bin/sh"; args = [ "-e" setup ]; } // attrs);
  setup = builtins.toFile "default-builder.sh" "source $stdenv/setup\\ngenericBuild\\n";
  bash = mk { name = "bash-5.2"; args = [ "-c" "true" ]; };
  stdenv = mk { name = "stdenv-linux"; shell = "\${bash}/bin/bash"; preHook = "export NIX_ENFORCE_PURITY=1\\n";
    initialPath = map (i: mk { name = "tool-\${toString i}"; }) (builtins.genList (x: x) 12); };
  fetch = i: mk { name = "pkg-\${toString i}-1.0.tar.gz"; builder = "builtin:fetchurl"; url = "https://example.org/pkg-\${toString i}.tar.gz";
    outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = builtins.hashString "sha256" "pkg-\${toString i}"; preferLocalBuild = true; };
  deps = i: builtins.filter (j: j >= 0 && j < i) [ (i / 2) (i / 3) (i / 5 * 2) (i - 2) ];
  pkg = i: mk {
    pname = "pkg-\${toString i}"; version = "1.0"; name = "pkg-\${toString i}-1.0"; outputs = [ "out" "dev" "doc" ];
    src = fetch i; inherit stdenv;
    buildInputs = map (j: (builtins.elemAt pkgs j).dev) (deps i);
    propagatedBuildInputs = if i > 10 then [ (builtins.elemAt pkgs (i / 10)) ] else [ ];
    nativeBuildInputs = [ bash ];
    configureFlags = [ "--enable-shared" "--disable-static" "--with-foo=\${toString i}" "--prefix=$out" ];
    enableParallelBuilding = true; doCheck = false; strictDeps = true; dontStrip = i / 2 * 2 == i; patches = [ ];
    postInstall = "mkdir -p $dev/lib\\necho \\"Name: pkg-\${toString i}\\" > $dev/lib/pkg.pc\\n";
    NIX_CFLAGS_COMPILE = "-O2 -g -DFOO=\${toString i}"; meta = null; __ignoreNulls = true;
  };
  pkgs = builtins.genList pkg ${n};
in builtins.hashString "sha256" (builtins.concatStringsSep " " (map (p: p.drvPath + p.dev.outPath) pkgs))`
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const runs = opts.quick ? 1 : 3
  const n = opts.quick ? 1000 : 5000
  const chain = opts.quick ? 300 : 1000
  const files = opts.quick ? 500 : 3000
  const ref = referenceRoot()
  const cppDir = '/data/tsnix-bench-eval-store'
  const cppHost = ref ? join(ref, cppDir) : undefined

  const pkgs = opts.quick ? 600 : 3000
  let stdenvOut: string | undefined
  const exprs: Record<string, { expr: string; check: (out: string) => void }> = {
    'start-up only (--eval -E 1; included in every row)': {
      expr: '1',
      check: out => { if (out !== '1') throw new Error(`unexpected output ${out}`) },
    },
    [`${pkgs} stdenv-like packages (~${2 * pkgs} derivations: env, contexts, inputDrvs, fixed-output sources)`]: {
      expr: stdenvLike(pkgs),
      // tsnix and C++ must print the same hash of every .drv and output path
      check: out => { stdenvOut ??= out; if (out !== stdenvOut || !/^"[0-9a-f]{64}"$/.test(out)) throw new Error(`unexpected output ${out} (other run: ${stdenvOut})`) },
    },
    [`${n} independent derivations (derivationStrict, read-only)`]: {
      expr: `builtins.length (builtins.filter (p: p != "") (builtins.genList (i: (derivation { name = "d\${toString i}"; builder = "/bin/sh"; system = "x86_64-linux"; i = i; args = [ "-c" "echo \${toString i}" ]; }).drvPath) ${n}))`,
      check: out => { if (out !== String(n)) throw new Error(`unexpected output ${out}`) },
    },
    [`a chain of ${chain} dependent derivations (hash modulo of inputs)`]: {
      expr: `let f = i: derivation { name = "c\${toString i}"; builder = "/bin/sh"; system = "x86_64-linux"; prev = if i == 0 then "" else f (i - 1); }; in builtins.stringLength (f ${chain}).drvPath`,
      check: out => { if (!/^\d+$/.test(out)) throw new Error(`unexpected output ${out}`) },
    },
  }

  const tree = join(opts.tmpDir, 'tree')
  makeTree(tree, files)
  if (cppHost) { rmSync(cppHost, { recursive: true, force: true }); mkdirSync(cppHost, { recursive: true }); cpSync(tree, join(cppHost, 'tree'), { recursive: true }) }
  let treePath: string | undefined

  const out: BenchResult[] = []
  const tsEnv = { ...process.env, NIX_REMOTE: 'dummy://', TSNIX_EVAL_THREAD: 'auto' }
  const cppRun = (args: string): Run => timed([referenceNix, 'run', `env -i PATH=/usr/bin:/bin HOME=/tmp NIX_REMOTE=dummy:// nix-instantiate ${args}`], {})
  for (const [workload, w] of Object.entries(exprs)) {
    const tsnix = measure('tsnix instantiate', runs, () => timed([cli, 'instantiate', '--eval', '-E', w.expr], tsEnv), w.check)
    let cpp: Measurement | undefined
    if (ref) cpp = measure('nix-instantiate 2.34.8', runs, () => cppRun(`--eval -E '${w.expr.replace(/'/g, "'\\''")}'`), w.check)
    out.push({ workload, tsnix, cpp, ...(cpp ? {} : { note: 'C++: needs root and the reference-nix chroot' }) })
  }

  // NAR hashing of a source tree ("${./tree}" in read-only mode)
  {
    const workload = `"\${./tree}" of ${files} files (NAR SHA-256, read-only)`
    const check = (o: string): void => {
      treePath ??= o
      if (o !== treePath || !/^"\/nix\/store\/[0-9a-z]{32}-tree"$/.test(o)) throw new Error(`unexpected output ${o} (other run: ${treePath})`)
    }
    const tsnix = measure('tsnix instantiate', runs, () => timed([cli, 'instantiate', '--eval', '-E', `"\${${tree}}"`], tsEnv), check)
    let cpp: Measurement | undefined
    if (ref) cpp = measure('nix-instantiate 2.34.8', runs, () => cppRun(`--eval -E '"\${${cppDir}/tree}"'`), check)
    out.push({ workload, tsnix, cpp })
  }

  // instantiating into a private local store (writes every .drv)
  {
    const m = opts.quick ? 300 : 1000
    const expr = `builtins.genList (i: derivation { name = "w\${toString i}"; builder = "/bin/sh"; system = "x86_64-linux"; i = i; }) ${m}`
    const check = (o: string): void => { if (o.split('\n').length !== m) throw new Error(`expected ${m} lines, got ${o.split('\n').length}`) }
    const tsStore = join(opts.tmpDir, 'store')
    const tsnix = measure('tsnix instantiate (local store)', runs,
      () => timed([cli, 'instantiate', '-E', expr], { ...process.env, NIX_REMOTE: `local?root=${tsStore}` }), check,
      () => rmSync(tsStore, { recursive: true, force: true }))
    let cpp: Measurement | undefined
    if (ref && cppHost) {
      cpp = measure('nix-instantiate 2.34.8 (local store)', runs,
        () => timed([referenceNix, 'run', `env -i PATH=/usr/bin:/bin HOME=/tmp nix-instantiate --store local?root=${cppDir}/store -E '${expr}' 2>/dev/null`], {}), check,
        () => rmSync(join(cppHost, 'store'), { recursive: true, force: true }))
    }
    out.push({ workload: `nix-instantiate of ${m} derivations into a local store`, tsnix, cpp })
  }
  if (cppHost) rmSync(cppHost, { recursive: true, force: true })
  return out
}
