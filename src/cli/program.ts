/**
 * The `mycelium` command-line program. Each command lives in `commands/<name>.ts` and exports a
 * `register(program)` function; adding a command is one line in {@link COMMANDS}.
 * Importing this module loads no command; `main.ts` builds the program and runs it.
 */
import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };

/** What a command module exports. */
export interface CommandModule {
  /** Adds the command (and any parent command it needs, such as `config`) to the program. */
  register(program: Command): void;
}

/**
 * Every command's module, in help order, by the word that runs it (`config` holds `config check`).
 * One line per command.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  serve: () => import('./commands/serve.ts'),
  config: () => import('./commands/config-check.ts'),
  pub: () => import('./commands/pub.ts'),
  sub: () => import('./commands/sub.ts'),
  bench: () => import('./commands/bench.ts'),
  stats: () => import('./commands/stats.ts'),
  reload: () => import('./commands/reload.ts'),
};

/**
 * Builds the program, ready for `parseAsync(argv)`. Given the command line, only the command it
 * runs is loaded: each command pulls in its own dependencies (the SDK, the histogram library), and
 * a broker started with `serve` is ~6 MiB smaller in RSS and starts sooner without the others.
 * Help, a bare `mycelium` and an unknown word load every command.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('mycelium').version(pkg.version).description(pkg.description);
  const word = argv?.slice(2).find((a) => !a.startsWith('-'));
  const load =
    word !== undefined && Object.hasOwn(COMMANDS, word) ? [COMMANDS[word]!] : Object.values(COMMANDS);
  for (const command of await Promise.all(load.map((l) => l()))) command.register(program);
  return program;
}
