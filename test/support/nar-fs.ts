/** Filesystem helpers shared by the NAR dump tests (src/nar/*.test.ts). */
import { chmodSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type NarNode, narDirectory, narFile, narSymlink } from '../../src/nar/index.js'

/**
 * The files and directories under (or at) `dir` this process holds open. Only a test's own
 * files count: the whole suite shares the process, and other specs' handles open and close
 * meanwhile.
 */
export function openUnder(dir: string): string[] {
  const out: string[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      if (target === dir || target.startsWith(`${dir}/`)) out.push(target)
    } catch { /* closed meanwhile */ }
  }
  return out
}

/**
 * Writes a small tree at `t` — names that differ only in case, an executable, a file with only
 * group/other x bits (not executable in a NAR: only the owner's bit counts), a dangling symlink,
 * an empty directory — and returns the NAR tree it must dump as, worked out by hand.
 */
export function writeHandTree(t: string): NarNode {
  mkdirSync(join(t, 'sub', 'empty'), { recursive: true })
  writeFileSync(join(t, 'b'), 'bee')
  writeFileSync(join(t, 'B'), '')
  writeFileSync(join(t, 'sub', 'run'), '#!/bin/sh\n')
  chmodSync(join(t, 'sub', 'run'), 0o744)
  writeFileSync(join(t, 'sub', 'group-only'), 'x')
  chmodSync(join(t, 'sub', 'group-only'), 0o654)
  symlinkSync('../nowhere', join(t, 'sub', 'dangling'))
  return narDirectory({
    b: narFile('bee'),
    B: narFile(''),
    sub: narDirectory({ run: narFile('#!/bin/sh\n', true), 'group-only': narFile('x'), dangling: narSymlink('../nowhere'), empty: narDirectory() }),
  })
}
