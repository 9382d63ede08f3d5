// Bundles the evaluator commands (`tsnix instantiate`, `tsnix eval`) into one CommonJS file,
// dist/src/cli/eval-bundle.cjs, plus a V8 code cache of it, so that `tsnix instantiate -E 1`
// starts in about the time of `node -e 0`: resolving, reading and compiling ~125 ES modules
// costs ~0.1 s of CPU, a single cached script almost nothing (measurements in
// src/cli/eval-bundle.ts). Run by `npm run build` after `tsc`. Optional: without esbuild (a
// devDependency) it says so and exits 0, and main.js loads the ES modules as before; the
// manifest lists every input with its size and mtime, so a later `tsc` makes the bundle stale
// and main.js ignores it until the next bundle.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(repo, 'dist')
const cliDir = join(dist, 'src', 'cli')
const out = join(cliDir, 'eval-bundle.cjs')
const manifest = join(cliDir, 'eval-bundle.json')
const cache = `${out}.cache`

let esbuild
try {
  // require() honours NODE_PATH, which lets a checkout without the devDependency point at one.
  esbuild = createRequire(import.meta.url)('esbuild')
} catch {
  for (const f of [out, manifest, cache]) rmSync(f, { force: true })
  process.stderr.write('note: esbuild is not installed; tsnix instantiate/eval will load ES modules (slower start-up)\n')
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

const entry = [
  "export { run as instantiate, main as instantiateMain } from './src/cli/instantiate.js'",
  "export { run as evaluate, main as evalMain } from './src/cli/eval.js'",
].join('\n')

const result = await esbuild.build({
  stdin: { contents: entry, resolveDir: dist, sourcefile: 'eval-bundle-entry.js', loader: 'js' },
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
  throw new Error('eval bundle: a dynamic import() is left in the bundle, which vm.Script cannot run; make it static or a require of a builtin')
}

const inputs = Object.keys(result.metafile.inputs)
  .filter(p => !p.startsWith('<stdin>') && !p.includes('eval-bundle-entry'))
  .map(p => {
    const s = statSync(join(dist, p))
    return [p, s.size, s.mtimeMs]
  })
rmSync(cache, { force: true })
writeFileSync(manifest, `${JSON.stringify({ inputs })}\n`)

// The code cache holds the bytecode of every function compiled by the time the process exits,
// so warm it with an expression touching the usual start-up paths (parser, printer, a few
// builtins) but not whole subsystems nobody starts with.
const warm = 'let f = n: if n < 2 then n else f (n - 1) + f (n - 2); in { a = f 3; b = builtins.foldl\' (x: y: x + y) 0 (builtins.genList (i: i) 3); c = "x${toString 1}"; }'
const r = spawnSync(process.execPath, [join(cliDir, 'main.js'), 'instantiate', '--eval', '--strict', '-E', warm], {
  env: { ...process.env, NIX_REMOTE: 'dummy://', TSNIX_EVAL_BUNDLE: 'write-cache' },
  encoding: 'utf8',
})
if (r.status !== 0) {
  process.stderr.write(`warning: warming the eval bundle's code cache failed: ${r.stderr}\n`)
}
