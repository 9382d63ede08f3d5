#!/bin/sh
//bin/true; case "$1" in instantiate|eval) V8="--no-concurrent-recompilation --max-semi-space-size=4"; ulimit -s 65536 2>/dev/null && V8="$V8 --stack-size=60000";; *) V8=;; esac; TSNIX_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; export TSNIX_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; exec node $V8 "$0" "$@"
/**
 * `tsnix` entry point: dispatches to a subcommand module, loaded lazily so that start-up
 * only pays for the command that runs (the evaluator's `-E 1` budget is 0.1 s).
 *
 * Each subcommand module exports `run(args: string[]): Promise<number>` (the exit status).
 *
 * Run as an executable, the file is first a shell script (line 2 is a comment to JS) that starts
 * node on itself. It moves NODE_EXTRA_CA_CERTS to TSNIX_EXTRA_CA_CERTS: Node 20 builds its whole
 * certificate store at start-up when that variable is set (~40 ms with a system CA bundle, more
 * than `-E 1` costs otherwise), and most commands never use TLS. The code that does adds the
 * file itself (src/os/http-get.ts, the PostgreSQL connection in src/pathinfo/open.ts), and
 * `builtins.getEnv` sees the variables as the user set them (src/os/launcher-env.ts). And it
 * picks V8 flags per command, which V8 only takes before it starts: evaluations run with
 * `--no-concurrent-recompilation` (hot functions optimised on the main thread, used at once
 * instead of after a background compile: 5–25% less CPU over the evaluator benchmarks, wall
 * time equal or lower), while the NAR commands keep the default (their main thread feeds
 * thread-pool I/O, and compiling on it costs them 20% wall time). An evaluation's young
 * generation is capped at 4 MiB semi-spaces instead of V8's 16: evaluating keeps most of what
 * it makes (thunks, sets, lists stay reachable), so V8 grows the young generation to its maximum, which
 * only spreads the allocation over more memory — more page faults and cache misses — without
 * letting more die (deepseq-tree 10% less CPU and wall time, fib30 3%; the 2e4-deep thunk chain
 * 5% more, its deep stack being scanned by more scavenges; 11-run medians, each flag set with a
 * code cache of its own: V8 rejects one made under other GC flags). Evaluations also get a
 * 64 MiB main-thread stack, as C++ Nix gives itself (`setStackSize` in its main): the soft
 * RLIMIT_STACK is raised before node starts (the kernel lays out the address space from it) and
 * V8 told to use ~59 MiB of it, so deep but finite recursion (a 2e4-deep thunk chain) runs on the
 * main thread instead of overflowing and running again in a large-stack Worker
 * (src/cli/eval-run.ts, still the fallback, and the only path when the limit cannot be raised).
 * Started as `node main.js`, nothing of this applies.
 */
// fsyncs hold a libuv thread-pool thread for milliseconds; with the default 4 threads, every
// other file operation queues behind a few of them. libuv sizes the pool on first use, so this
// must run before any asynchronous I/O.
process.env['UV_THREADPOOL_SIZE'] ??= '16'
// The commands that evaluate are also named in line 2 (the launcher picks their V8 flags).
const COMMANDS: Record<string, { module: string; help: string }> = {
  nar: { module: './nar.js', help: 'dump | restore | ls — NAR serialisation (as nix-store --dump/--restore)' },
  hash: { module: './hash.js', help: 'path | file | convert — hashing (as nix-hash / nix hash)' },
  derivation: { module: './derivation.js', help: 'show DRV — print a derivation as JSON (as nix derivation show)' },
  store: { module: './store.js', help: 'path-of | add | adopt | verify | gc … — store operations' },
  daemon: { module: './daemon.js', help: 'serve the Nix worker protocol (stands in for nix-daemon)' },
  instantiate: { module: './instantiate.js', help: 'evaluate Nix expressions (as nix-instantiate)' },
  eval: { module: './eval.js', help: 'evaluate an expression and print the value' },
  key: { module: './key.js', help: 'generate-secret | convert-secret-to-public — signing keys' },
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.help}`)
  return `usage: tsnix <command> [args...]\n\ncommands:\n${lines.join('\n')}\n`
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage())
    return cmd === undefined ? 1 : 0
  }
  if (cmd === '--version') {
    process.stdout.write('tsnix 0.1.0\n')
    return 0
  }
  const entry = COMMANDS[cmd]
  if (!entry) {
    process.stderr.write(`tsnix: unknown command '${cmd}'\n\n${usage()}`)
    return 1
  }
  if (cmd === 'instantiate' || cmd === 'eval') {
    const bundle = (await import('./eval-bundle.js')).loadEvalBundle()
    if (bundle) return cmd === 'eval' ? bundle.evaluate(rest) : bundle.instantiate(rest)
  }
  if (cmd === 'nar' || cmd === 'hash') {
    // NAR commands are compared with 20 ms C++ ones: their ES modules cost ~35 ms to load.
    const bundle = (await import('./bundle.js')).loadBundle<Record<'nar' | 'hash', (args: string[]) => Promise<number>>>('nar', 'TSNIX_NAR_BUNDLE')
    if (bundle) return bundle[cmd](rest)
  }
  const mod = (await import(entry.module)) as { run(args: string[]): Promise<number> }
  return mod.run(rest)
}

main(process.argv.slice(2)).then(
  code => { process.exitCode = code },
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e)
    process.stderr.write(`error: ${msg}\n`)
    if (process.env['TSNIX_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`)
    process.exitCode = 1
  },
)
