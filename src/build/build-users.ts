/**
 * Build users for unsandboxed builds, as C++ Nix takes them (unix/user-lock.cc): the members
 * of `build-users-group`, each guarded by `flock` on `<stateDir>/userpool/<uid>` — the same
 * files a C++ daemon on the same store uses, so a uid is never used by two builds at once
 * whichever daemon runs them. Before a build, every process of the user is killed.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { openLockFile, tryLockFd } from '../os/index.js'
import { BuildError } from './errors.js'
import { BuildStatus } from '../store-path/index.js'

export interface BuildUser { uid: number; gid: number; release(): Promise<void> }

interface GroupInfo { gid: number; members: Array<{ name: string; uid: number }> }

function readGroup(name: string): GroupInfo | undefined {
  let groups: string, passwd: string
  try { groups = readFileSync('/etc/group', 'utf8'); passwd = readFileSync('/etc/passwd', 'utf8') } catch { return undefined }
  const line = groups.split('\n').find(l => l.split(':')[0] === name)
  if (!line) return undefined
  const [, , gidS, membersS] = line.split(':')
  const uids = new Map(passwd.split('\n').filter(Boolean).map(l => { const f = l.split(':'); return [f[0]!, Number(f[2])] as const }))
  const members = (membersS ?? '').split(',').filter(Boolean).flatMap(m => (uids.has(m) ? [{ name: m, uid: uids.get(m)! }] : []))
  return { gid: Number(gidS), members }
}

export class BuildUserPool {
  constructor(private readonly group: string, private readonly stateDir: string) {}

  /** A free build user, waiting for one if all are busy (C++: "waiting for a free build user ID"). */
  async acquire(signal?: AbortSignal, onWait?: () => void): Promise<BuildUser> {
    const g = readGroup(this.group)
    if (!g) throw new BuildError(BuildStatus.MiscFailure, `the group '${this.group}' specified in 'build-users-group' does not exist`)
    if (g.members.length === 0) throw new BuildError(BuildStatus.MiscFailure, `the build users group '${this.group}' has no members`)
    const dir = `${this.stateDir}/userpool`
    await mkdir(dir, { recursive: true })
    let waited = false
    for (;;) {
      for (const m of g.members) {
        if (m.uid === process.getuid?.()) throw new BuildError(BuildStatus.MiscFailure, `the Nix user should not be a member of '${this.group}'`)
        const fh = (await openLockFile(`${dir}/${m.uid}`, true))!
        if (tryLockFd(fh.fd, 'write')) {
          await killUser(m.uid)
          return { uid: m.uid, gid: g.gid, release: async () => { await killUser(m.uid); await fh.close() } }
        }
        await fh.close()
      }
      if (!waited) { waited = true; onWait?.() }
      signal?.throwIfAborted()
      await sleep(100)
    }
  }
}

/** Kill every process of `uid` (C++ `killUser`): a child running as that uid does `kill -9 -1`. */
async function killUser(uid: number): Promise<void> {
  if (uid === 0) return
  await new Promise<void>(resolve => {
    const p = spawn('/bin/kill', ['-9', '-1'], { uid, stdio: 'ignore' })
    p.once('error', () => resolve())
    p.once('exit', () => resolve())
  })
}
