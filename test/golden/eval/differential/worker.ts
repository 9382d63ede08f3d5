/**
 * Worker side of the differential spec: evaluates every case with `tsnix instantiate`'s `main`
 * in-process, with a large stack as the CLI's own Worker has, and posts one outcome per case.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { join } from 'node:path'
import type { DiffCase } from './generate.js'
import { BASE_FLAGS, firstErrorLine, type Outcome } from './harness.js'

type Main = (args: string[], sinks: { stdout(s: string): void; stderr(s: string): void }, ctx: { env: NodeJS.ProcessEnv; cwd: string; readStdin(): string }) => number

const { dir, cases, cliModule } = workerData as { dir: string; cases: DiffCase[]; cliModule: string }
const { main } = (await import(cliModule)) as { main: Main }
;(globalThis as { __tsnixWorker?: boolean }).__tsnixWorker = true
const casesDir = join(dir, 'cases')
const env: NodeJS.ProcessEnv = { HOME: '/homeless-shelter', NIX_CONF_DIR: join(dir, 'conf'), NIX_REMOTE: 'dummy://', NIX_PATH: '' }
const rwEnv: NodeJS.ProcessEnv = { ...env, NIX_REMOTE: `local?root=${join(dir, 'store')}` }
const pwd = Buffer.from(casesDir, 'utf8').toString('latin1')
for (const c of cases) {
  let out = ''
  let err = ''
  const xp = c.flags && c.flags.length > 0 ? ['--extra-experimental-features', c.flags.join(' ')] : []
  let rc: number
  try {
    const rw = c.readWrite === true ? ['--read-write-mode'] : []
    rc = main([...BASE_FLAGS, ...xp, ...rw, `./${c.id}.nix`], { stdout: s => { out += s }, stderr: s => { err += s } },
      { env: c.readWrite === true ? rwEnv : env, cwd: casesDir, readStdin: () => '' })
  } catch (e) {
    rc = 99
    err = `error: crash: ${(e as Error).stack ?? String(e)}`
  }
  const o: Outcome = rc === 0 ? { exit: 0, stdout: out } : { exit: rc, error: firstErrorLine(err, pwd) }
  parentPort!.postMessage({ id: c.id, outcome: o })
}
