/**
 * Helpers for the sandbox's runner-level tests and benchmark (not used by the daemon): a
 * fake host store, trivial requests, process and cgroup scans.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { type BuildRequest, type DerivationKind, type InputPath, makeBuildRequest, type RequestOptions } from '../../src/sandbox/index.js'

/** True for an ELF executable without a program interpreter (i.e. statically linked). */
export function isStaticElf(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const h = Buffer.alloc(64)
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2) return false
    const phoff = Number(h.readBigUInt64LE(32))
    const phentsize = h.readUInt16LE(54)
    const phnum = h.readUInt16LE(56)
    const ph = Buffer.alloc(phentsize * phnum)
    readSync(fd, ph, 0, ph.length, phoff)
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false
    return true
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** A static busybox for /bin/sh inside the sandbox ($TSNIX_SANDBOX_SHELL, or busybox on PATH). */
export function findStaticBusybox(): string | undefined {
  const candidates = [process.env['TSNIX_SANDBOX_SHELL'], ...(process.env['PATH'] ?? '').split(':').map(d => d && join(d, 'busybox')), '/bin/busybox']
  for (const c of candidates) if (c && existsSync(c) && isStaticElf(c)) return c
  return undefined
}

export interface SimpleDrv {
  name: string
  /** Shell script run with `/bin/sh -c`. */
  script: string
  inputs?: InputPath[]
  kind?: DerivationKind
  env?: Record<string, string>
  builder?: string
}

/** A one-output derivation with a made-up (valid-looking) output path. */
export function simpleRequest(d: SimpleDrv, opts: Omit<RequestOptions, 'inputs' | 'storeDir' | 'cores'> & { storeDir?: string; busybox: string }): BuildRequest {
  const storeDir = opts.storeDir ?? '/nix/store'
  const hash = (d.name + '00000000000000000000000000000000').replace(/[^0-9a-df-np-sv-z]/g, '0').slice(0, 32)
  const out = `${storeDir}/${hash}-${d.name}`
  return makeBuildRequest(
    {
      builder: d.builder ?? '/bin/sh', args: ['-c', d.script], platform: 'x86_64-linux', kind: d.kind ?? 'input-addressed',
      env: { name: d.name, out, builder: d.builder ?? '/bin/sh', system: 'x86_64-linux', ...(d.env ?? {}) },
      outputs: [{ name: 'out', path: out }],
    },
    { ...opts, storeDir, cores: 1, inputs: d.inputs ?? [], sandboxPaths: [{ target: '/bin/sh', source: opts.busybox }, ...(opts.sandboxPaths ?? [])] },
  )
}

/** Host pids whose command line contains `needle`. */
export function processesMatching(needle: string): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmd.includes(needle)) out.push(Number(e))
    } catch { /* gone */ }
  }
  return out
}

/** Host pids running with a real uid in [lo, hi]. */
export function processesOfUids(lo: number, hi: number): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))
      const uid = m ? Number(m[1]) : -1
      if (uid >= lo && uid <= hi) out.push(Number(e))
    } catch { /* gone */ }
  }
  return out
}

/** Cgroup directories (any hierarchy, two levels deep) whose name starts with `prefix`. */
export function cgroupsNamed(prefix: string): string[] {
  const out: string[] = []
  const walk = (dir: string, depth: number): void => {
    let entries: string[]
    try { entries = readdirSync(dir) } catch { return }
    for (const e of entries) {
      const p = join(dir, e)
      if (e.startsWith(prefix)) out.push(p)
      else if (depth > 0 && !e.includes('.')) walk(p, depth - 1)
    }
  }
  walk('/sys/fs/cgroup', 2)
  return out
}
