/**
 * `builtin:unpack-channel` (C++ builtins/unpack-channel.cc): unpack the channel tarball `src`
 * (any compression tar recognises) into `out`, which must then hold exactly one entry, renamed
 * to `channelName`.
 */
import { spawn } from 'node:child_process'
import { mkdir, readdir, rename } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { BasicDerivation } from '../../derivation/index.js'
import { BuiltinBuilderError } from '../errors.js'
import { attr, type BuiltinContext, toReal } from './index.js'

export async function builtinUnpackChannel(drv: BasicDerivation, b: BuiltinContext): Promise<void> {
  const out = b.outputs.get('out')
  if (out === undefined) throw new BuiltinBuilderError("'builtin:unpack-channel' requires an 'out' output")
  const channelName = attr(drv, 'channelName')
  const src = attr(drv, 'src')
  if (basename(channelName) !== channelName || channelName === '' || channelName === '.' || channelName === '..') {
    throw new BuiltinBuilderError(`channelName is not allowed to contain filesystem separators, got ${JSON.stringify(channelName)}`)
  }
  await mkdir(out, { recursive: true })
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-xf', toReal(b, src), '-C', out, '--no-same-owner', '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    tar.stderr.on('data', (c: Buffer) => { err += c.toString() })
    tar.once('error', reject)
    tar.once('exit', code => (code === 0 ? resolve() : reject(new BuiltinBuilderError(`unpacking '${src}': ${err.trim() || `tar exited with ${code}`}`))))
  })
  const entries = await readdir(out)
  if (entries.length !== 1) throw new BuiltinBuilderError(`channel tarball '${src}' contains more than one file`)
  await rename(join(out, entries[0]!), join(out, channelName))
}
