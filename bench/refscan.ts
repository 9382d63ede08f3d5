/**
 * Reference scanning throughput (src/store-path/refscan.ts), in 64 KiB chunks as a NAR stream
 * arrives, with 300 candidate hash parts of which 5 are planted (one across a chunk boundary):
 *
 *   - ordinary files: the Node binary and the text of node_modules, repeated up to 256 MiB
 *     (32 MiB with --quick);
 *   - hash-like text: random nix32 characters, 64 MiB (16 MiB with --quick), the worst case
 *     of C++'s algorithm (docs/build-sandbox.md §3.4).
 *
 * C++ Nix scans only inside builds, so there is no workload that times its scanner alone; each
 * result reports MB/s and, for scale, SHA-256 (node:crypto) on the same bytes, which the store
 * computes over the same NAR anyway. §3.4 measured a JS port of C++'s algorithm at 3.2 GB/s on
 * shared libraries, 0.65 GB/s on C headers and 2 MB/s on nix32 text.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NIX32_ALPHABET, RefScanner } from '../src/store-path/index.js'
import type { BenchOptions, BenchResult } from './types.js'

export const name = 'refscan'

const CHUNK = 64 * 1024

function randomHashPart(): string {
  const b = randomBytes(32)
  let s = ''
  for (let i = 0; i < 32; i++) s += NIX32_ALPHABET[b[i]! & 31]
  return s
}

/** Files under `dir` (depth-first, sorted), until `max` bytes. */
function collect(dir: string, max: number, out: Uint8Array[], total = { n: 0 }): void {
  let names: string[]
  try { names = readdirSync(dir).sort() } catch { return }
  for (const f of names) {
    if (total.n >= max) return
    const p = join(dir, f)
    let st
    try { st = statSync(p) } catch { continue }
    if (st.isDirectory()) collect(p, max, out, total)
    else if (st.isFile() && st.size > 0 && st.size < 64 << 20) {
      out.push(readFileSync(p))
      total.n += st.size
    }
  }
}

function ordinaryData(size: number): Uint8Array {
  const parts: Uint8Array[] = [readFileSync(process.execPath)]
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  collect(join(repo, 'node_modules'), size, parts)
  const out = new Uint8Array(size)
  for (let off = 0, i = 0; off < size; i++) {
    const p = parts[i % parts.length]!
    const n = Math.min(p.length, size - off)
    out.set(p.subarray(0, n), off)
    off += n
  }
  return out
}

function nix32Data(size: number): Uint8Array {
  const out = randomBytes(size)
  for (let i = 0; i < size; i++) out[i] = NIX32_ALPHABET.charCodeAt(out[i]! & 31)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Plant 5 of the candidates, one straddling a chunk boundary; returns them. */
function plant(data: Uint8Array, candidates: string[]): string[] {
  const planted = candidates.slice(0, 5)
  const at = [100, CHUNK * 3 - 10, Math.floor(data.length / 2), data.length - 1000, data.length - 40]
  planted.forEach((h, k) => { for (let i = 0; i < 32; i++) data[at[k]! + i] = h.charCodeAt(i) })
  return planted
}

function timeScan(data: Uint8Array, candidates: string[]): { seconds: number; found: number } {
  const t = process.hrtime.bigint()
  const s = new RefScanner(candidates)
  for (let off = 0; off < data.length; off += CHUNK) s.push(data.subarray(off, off + CHUNK))
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, found: s.found.size }
}

function timeSha256(data: Uint8Array): number {
  const t = process.hrtime.bigint()
  const h = createHash('sha256')
  for (let off = 0; off < data.length; off += CHUNK) h.update(data.subarray(off, off + CHUNK))
  h.digest()
  return Number(process.hrtime.bigint() - t) / 1e9
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function measure(workload: string, data: Uint8Array, reps: number): BenchResult {
  const candidates = Array.from({ length: 300 }, randomHashPart)
  plant(data, candidates)
  const scans: number[] = []
  const hashes: number[] = []
  for (let r = 0; r < reps; r++) {
    const { seconds, found } = timeScan(data, candidates)
    if (found !== 5) throw new Error(`refscan found ${found} of 5 planted hash parts in ${workload}`)
    scans.push(seconds)
    hashes.push(timeSha256(data))
  }
  const mb = data.length / 1e6
  const seconds = median(scans)
  return {
    workload,
    tsnix: {
      seconds,
      label: 'tsnix RefScanner, 300 candidates, 64 KiB chunks',
      extra: { MBps: Math.round(mb / seconds), bestMBps: Math.round(mb / Math.min(...scans)), sha256MBps: Math.round(mb / median(hashes)) },
    },
    note: 'no C++ equivalent outside a build; C++ algorithm ported to JS: 3.2 GB/s on .so files, 0.65 GB/s on headers, 2 MB/s on nix32 text (build-sandbox.md §3.4)',
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const reps = opts.quick ? 3 : 5
  return [
    measure(`reference scan, ordinary files (node binary + node_modules), ${opts.quick ? 32 : 256} MiB`, ordinaryData((opts.quick ? 32 : 256) << 20), reps),
    measure(`reference scan, random nix32 text, ${opts.quick ? 16 : 64} MiB`, nix32Data((opts.quick ? 16 : 64) << 20), reps),
  ]
}
