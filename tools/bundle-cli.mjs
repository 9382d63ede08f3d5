// Bundles groups of tsnix commands into one CommonJS file each, dist/src/cli/<name>-bundle.cjs,
// plus a V8 code cache of it, so that a command starts in about the time of `node -e 0`:
// resolving, reading and compiling dozens of ES modules costs tens of ms of CPU, a single
// cached script almost nothing (measurements in src/cli/bundle.ts). The bundles:
//
//   eval: `tsnix instantiate`, `tsnix eval` (~125 modules; -E 1 from 0.17 to 0.08 s)
//   nar:  `tsnix nar`, `tsnix hash` (compared with nix-store --dump / nix-hash, 20 ms commands)
//
// Run by `npm run build` after `tsc`. Optional: without esbuild (a devDependency) it says so
// and exits 0, and main.js loads the ES modules as before; each manifest lists every input
// with its size and mtime, so a later `tsc` makes a bundle stale and main.js ignores it until
// the next bundle.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(repo, 'dist')
const cliDir = join(dist, 'src', 'cli')
const mainJs = join(cliDir, 'main.js')

/**
 * Each bundle: the commands' modules as `export { run as NAME } …` lines (the loader's
 * interface), the environment variable that turns it off (`=0`) or makes a run write its
 * code cache at exit (`=write-cache`), and the warm-up: the code cache holds the bytecode of
 * every function compiled by the time the process exits, so one command runs over the usual
 * paths (but not whole subsystems nobody starts with) before the cache is written.
 */
const bundles = [
  {
    name: 'eval',
    envVar: 'TSNIX_EVAL_BUNDLE',
    entry: [
      "export { run as instantiate, main as instantiateMain } from './src/cli/instantiate.js'",
      "export { run as evaluate, main as evalMain } from './src/cli/eval.js'",
    ],
    warm: () => ({
      args: ['instantiate', '--eval', '--strict', '-E',
        'let f = n: if n < 2 then n else f (n - 1) + f (n - 2); in { a = f 3; b = builtins.foldl\' (x: y: x + y) 0 (builtins.genList (i: i) 3); c = "x${toString 1}"; }'],
      env: { NIX_REMOTE: 'dummy://' },
    }),
  },
  {
    name: 'nar',
    envVar: 'TSNIX_NAR_BUNDLE',
    entry: [
      "export { run as nar } from './src/cli/nar.js'",
      "export { run as hash } from './src/cli/hash.js'",
    ],
    // A dump of a small tree (directories, a file, an executable, a symlink) to /dev/null:
    // the walk, the encoder and the output path that every nar/hash command shares.
    warm: tmp => {
      const root = join(tmp, 'tree')
      mkdirSync(join(root, 'd'), { recursive: true })
      writeFileSync(join(root, 'd', 'f'), 'x'.repeat(100))
      writeFileSync(join(root, 'e'), '#!/bin/sh\n')
      chmodSync(join(root, 'e'), 0o755)
      symlinkSync('d/f', join(root, 'l'))
      return { args: ['nar', 'dump', root], env: {} }
    },
  },
]

const outputs = b => {
  const out = join(cliDir, `${b.name}-bundle.cjs`)
  return { out, manifest: join(cliDir, `${b.name}-bundle.json`), cache: `${out}.cache` }
}

let esbuild
try {
  // require() honours NODE_PATH, which lets a checkout without the devDependency point at one.
  esbuild = createRequire(import.meta.url)('esbuild')
} catch {
  for (const b of bundles) for (const f of Object.values(outputs(b))) rmSync(f, { force: true })
  process.stderr.write('note: esbuild is not installed; tsnix commands will load ES modules (slower start-up)\n')
  process.exit(0)
}

// Each bundled module keeps its own import.meta.url (workers and native addons are found
// relative to it), expressed relative to the bundle's directory so that dist/ can move.
const moduleUrls = {
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, args => {
      let text = readFileSync(args.path, 'utf8')
      if (text.includes('import.meta.url')) {
        const rel = relative(cliDir, args.path).split('\\').join('/')
        text = text.replaceAll('import.meta.url', `__tsnixModuleUrl(${JSON.stringify(rel)})`)
      }
      // vm.Script cannot import() (Node 20 loses the callback with a code cache): builtins are
      // required instead; any other dynamic import left in the bundle fails the build below.
      text = text.replace(/\bimport\((['"])(node:[\w/]+)\1\)/g, 'Promise.resolve(require($1$2$1))')
      return { contents: text, loader: 'js' }
    })
  },
}

const tmp = mkdtempSync(join(tmpdir(), 'tsnix-bundle-'))
try {
  for (const b of bundles) await bundle(b)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}

async function bundle(b) {
  const { out, manifest, cache } = outputs(b)
  const entryName = `${b.name}-bundle-entry.js`
  const result = await esbuild.build({
    stdin: { contents: b.entry.join('\n'), resolveDir: dist, sourcefile: entryName, loader: 'js' },
    absWorkingDir: dist,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile: out,
    metafile: true,
    minifyWhitespace: true,
    logLevel: 'warning',
    plugins: [moduleUrls],
    banner: { js: "const __tsnixModuleUrl = rel => require('node:url').pathToFileURL(require('node:path').join(__dirname, rel)).href;" },
  })

  if (/[^.\w$]import\(/.test(readFileSync(out, 'utf8'))) {
    for (const f of [out, manifest, cache]) rmSync(f, { force: true })
    throw new Error(`${b.name} bundle: a dynamic import() is left in the bundle, which vm.Script cannot run; make it static or a require of a builtin`)
  }

  const inputs = Object.keys(result.metafile.inputs)
    .filter(p => !p.startsWith('<stdin>') && !p.includes(entryName))
    .map(p => {
      const s = statSync(join(dist, p))
      return [p, s.size, s.mtimeMs]
    })
  rmSync(cache, { force: true })
  writeFileSync(manifest, `${JSON.stringify({ inputs })}\n`)

  const warm = b.warm(tmp)
  // Through the launcher (main.js as a shell script), so that node runs with the V8 flags the
  // command gets: V8 rejects a code cache made under other flags (e.g. --stack-size).
  const r = spawnSync('/bin/sh', [mainJs, ...warm.args], {
    env: { ...process.env, ...warm.env, [b.envVar]: 'write-cache' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  if (r.status !== 0) {
    process.stderr.write(`warning: warming the ${b.name} bundle's code cache failed: ${r.stderr}\n`)
  }
}
