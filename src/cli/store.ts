/**
 * `tsnix store <subcommand>`: a small dispatcher. Each subcommand lives in its own module
 * (`./store-<name>.js`, exporting `run(args): Promise<number>`) and is loaded only when used;
 * add a line to SUBCOMMANDS to add one.
 */
const SUBCOMMANDS: Record<string, { load: () => Promise<{ run(args: string[]): Promise<number> }>; help: string }> = {
  'path-of': { load: () => import('./store-path-of.js'), help: 'print the store path a file or tree would get (as nix-store --add/--add-fixed)' },
  add: { load: () => import('./store-add.js'), help: 'add files or trees to the store (as nix-store --add)' },
  export: { load: () => import('./store-export.js'), help: 'write paths in the export format to stdout (as nix-store --export)' },
  import: { load: () => import('./store-import.js'), help: 'add the paths of an export read from stdin (as nix-store --import)' },
  verify: { load: () => import('./store-verify.js'), help: 'check the store [--check-contents] [--repair] (as nix-store --verify)' },
  gc: { load: () => import('./store-gc.js'), help: 'collect garbage (as nix-store --gc)' },
  delete: { load: async () => ({ run: (await import('./store-gc.js')).runDelete }), help: 'delete paths if unreachable (as nix-store --delete)' },
  adopt: { load: () => import('./store-adopt.js'), help: 'ingest paths registered by C++ Nix into castore' },
}

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.help}`)
  return `usage: tsnix store <subcommand> [args...]\n\nsubcommands:\n${lines.join('\n')}\n`
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(usage())
    return sub === undefined ? 1 : 0
  }
  const entry = SUBCOMMANDS[sub]
  if (!entry) {
    process.stderr.write(`tsnix store: unknown subcommand '${sub}'\n\n${usage()}`)
    return 1
  }
  return (await entry.load()).run(rest)
}
