/**
 * `sandbox = false`: the builder runs on the host as a build user, in a host build
 * directory, writing straight into the real store directory (C++ Nix without its sandbox).
 * No namespaces, no seccomp filter, no no_new_privs (Nix still applies the last two; Node
 * cannot), so this is only for trusted setups and for comparison in benchmarks.
 *
 * The request must have been made for this mode: `buildDir` a host path that does not exist
 * yet (the environment points at it), `storeDir` the real store directory, writable by the
 * build group (1775 root:<gid>), and `uid`/`gid` the host ids to run as.
 */
import { spawn } from 'node:child_process'
import { chown, lstat, mkdir, rm, writeFile } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { SandboxRequestError } from './errors.js'
import { BuildLimiter } from './limits.js'
import type { BuildOutcome, BuildRequest, FinishedBuild, RunOptions, SandboxRunner } from './types.js'

export class DirectRunner implements SandboxRunner {
  async build(req: BuildRequest, options: RunOptions = {}): Promise<FinishedBuild> {
    if (!posix.isAbsolute(req.buildDir)) throw new SandboxRequestError('the build dir must be an absolute host path')
    await mkdir(req.buildDir, { mode: 0o700 })
    await chown(req.buildDir, req.uid, req.gid)
    for (const f of req.buildDirFiles) {
      const p = join(req.buildDir, f.name)
      await writeFile(p, f.contents, { mode: 0o644, flag: 'wx' })
      await chown(p, req.uid, req.gid)
    }
    const startTime = Date.now()
    const child = spawn(req.builder, req.args, {
      argv0: posix.basename(req.builder),
      cwd: req.buildDir,
      env: Object.fromEntries(req.env),
      uid: req.uid,
      gid: req.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a kill reaches its children too
    })
    let killed = false
    const kill = (): void => {
      killed = true
      try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ }
    }
    const limiter = new BuildLimiter(req.limits, kill)
    options.signal?.addEventListener('abort', kill, { once: true })
    const pump = async (s: NodeJS.ReadableStream): Promise<void> => {
      for await (const c of s as AsyncIterable<Buffer>) if (limiter.output(c.length) && options.onLog) await options.onLog(c)
    }
    limiter.start()
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (c, s) => resolve([c, s]))
      void Promise.all([pump(child.stdout!), pump(child.stderr!)])
    }).finally(() => { limiter.stop(); options.signal?.removeEventListener('abort', kill) })
    const outcome: BuildOutcome = {
      exitCode: killed ? null : code,
      signal: killed ? 'SIGKILL' : signal,
      limit: limiter.limitHit,
      setupError: null,
      startTime,
      stopTime: Date.now(),
      logBytes: limiter.logBytes,
      outputs: await Promise.all(req.outputs.map(async o => {
        let exists = true
        try { await lstat(o.path) } catch { exists = false }
        return { name: o.name, path: o.path, hostPath: o.path, exists }
      })),
      scratchStore: req.storeDir,
      builderHostUid: req.uid,
      builderHostGid: req.gid,
    }
    return { outcome, cleanup: () => rm(req.buildDir, { recursive: true, force: true }) }
  }

  async close(): Promise<void> { /* nothing */ }
}
