/**
 * `tsnix key` (as `nix key`): generate-secret --key-name NAME | convert-secret-to-public.
 * Keys go to stdout without a trailing newline, as Nix writes them.
 */
import { SecretKey } from '../signing/index.js'

const USAGE = `usage: tsnix key generate-secret --key-name NAME
       tsnix key convert-secret-to-public < secret-key

generate-secret           print a new Ed25519 secret key for signing store paths
convert-secret-to-public  read a secret key on stdin and print its public key
`

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\nTry 'tsnix key --help' for more information.\n`)
  return 1
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function generateSecret(args: string[]): number {
  let name: string | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--key-name') {
      if (i + 1 >= args.length) return usageError("flag '--key-name' requires 1 argument")
      name = args[++i]!
    } else if (a.startsWith('--key-name=')) name = a.slice('--key-name='.length)
    else return usageError(`unrecognised flag '${a}'`)
  }
  if (name === undefined) return usageError("required argument '--key-name' is missing")
  process.stdout.write(SecretKey.generate(name).toString())
  return 0
}

async function convertSecretToPublic(args: string[]): Promise<number> {
  if (args.length > 0) return usageError(`unrecognised flag '${args[0]}'`)
  process.stdout.write(SecretKey.parse(await readStdin()).toPublicKey().toString())
  return 0
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (sub === undefined) return usageError('tsnix key requires a sub-command. Available sub-commands: convert-secret-to-public, generate-secret')
  if (sub === 'generate-secret') return generateSecret(rest)
  if (sub === 'convert-secret-to-public') return convertSecretToPublic(rest)
  return usageError(`'${sub}' is not a recognised command`)
}
