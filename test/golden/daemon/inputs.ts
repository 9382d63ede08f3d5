/**
 * The inputs every run uses (written once per workspace, identical for every daemon): files and a
 * tree to add, Nix expressions that write to the store without building, a signing key pair and
 * the captured export file.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixture } from '../../support/env.js'

export interface Inputs {
  dir: string
  /** The 2.8/2.34 capture files (trivial.nix, deps.nix, envpkg.nix, trivial.export). */
  haveCaptures: boolean
}

export function writeInputs(dir: string): Inputs {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'hello.txt'), 'hello\n')
  writeFileSync(join(dir, 'other.txt'), 'another file\n')
  writeFileSync(join(dir, 'copied.txt'), 'copied between stores\n')
  const tree = join(dir, 'tree')
  mkdirSync(join(tree, 'sub', 'empty'), { recursive: true })
  writeFileSync(join(tree, 'a.txt'), 'a\n')
  writeFileSync(join(tree, 'sub', 'b.txt'), 'hello\n') // same bytes as hello.txt: optimise links them
  writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\necho hi\n')
  chmodSync(join(tree, 'run.sh'), 0o755)
  symlinkSync('a.txt', join(tree, 'link'))
  writeFileSync(join(tree, 'big.bin'), Buffer.alloc(300_000, 7))
  // Writes to the store from the evaluator: a path import, toFile with a reference, builtins.path.
  writeFileSync(join(dir, 'writes.nix'), [
    'let',
    '  hello = ./hello.txt;',
    '  ref = builtins.toFile "ref.txt" "see ${hello}\\n";',
    '  tree = builtins.path { path = ./tree; name = "tree-copy"; };',
    'in "${hello} ${ref} ${tree}"',
    '',
  ].join('\n'))
  let haveCaptures = true
  for (const f of ['trivial.nix', 'deps.nix', 'envpkg.nix', 'trivial.export']) {
    const src = fixture('captures', 'files', f)
    if (src) copyFileSync(src, join(dir, f))
    else haveCaptures = false
  }
  // A signing key; `nix-store --generate-binary-cache-key` needs no store.
  execFileSync('nix-store', ['--generate-binary-cache-key', 'tsnix-test-1', join(dir, 'key.sec'), join(dir, 'key.pub')], { env: { ...process.env, NIX_REMOTE: '', NIX_STATE_DIR: join(dir, '.state') } })
  for (const f of ['key.sec', 'key.pub']) chmodSync(join(dir, f), 0o644)
  chmodSync(dir, 0o755)
  return { dir, haveCaptures }
}
