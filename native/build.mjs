// Builds the native addon (tsnix.node) unless it is up to date. Run by `npm install` and
// `npm run build`. It compiles with the system C compiler against the headers of the running
// Node (<prefix>/include/node), falling back to node-gyp; a failure is reported but not fatal:
// the daemon then cannot read peer credentials and treats socket clients as untrusted. A failed
// build removes the previous addon (else tests would run an addon older than tsnix.c), and under
// TSNIX_REQUIRE_ALL=1 (CI, where a compiler is provided) it fails the build.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const outDir = join(here, 'build', 'Release')
const out = join(outDir, 'tsnix.node')
const src = join(here, 'tsnix.c')
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0)

const prefix = process.config.variables.node_prefix ?? join(dirname(process.execPath), '..')
const candidates = [join(prefix, 'include', 'node'), join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node']
const include = candidates.find(d => existsSync(join(d, 'node_api.h')))
let ok = false
if (include) {
  mkdirSync(outDir, { recursive: true })
  const cc = process.env.CC ?? 'cc'
  const r = spawnSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', '-I', include, '-o', out, src], { stdio: 'inherit' })
  ok = r.status === 0
}
if (!ok) {
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined)
  const args = ['rebuild', '--silent', ...(process.env.npm_config_nodedir ? [`--nodedir=${process.env.npm_config_nodedir}`] : [])]
  const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { cwd: here, stdio: 'inherit' }) : { status: 1 }
  ok = r.status === 0
}
if (!ok) {
  rmSync(out, { force: true })
  console.error('native/build.mjs: building the native addon failed; socket clients will be treated as untrusted')
  if (process.env.TSNIX_REQUIRE_ALL === '1') process.exit(1)
}
