/**
 * The `mycelium` command-line program. Each command lives in `commands/<name>.ts` and exports a
 * `register(program)` function; adding a command is one line in {@link COMMANDS}.
 * Importing this module runs nothing; `main.ts` builds the program and runs it.
 */
import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };

/** What a command module exports. */
export interface CommandModule {
  /** Adds the command (and any parent command it needs, such as `config`) to the program. */
  register(program: Command): void;
}

/** Every command, in help order. One line per command. */
const COMMANDS: readonly CommandModule[] = [
  await import('./commands/serve.ts'),
  await import('./commands/config-check.ts'),
  await import('./commands/pub.ts'),
  await import('./commands/sub.ts'),
  await import('./commands/bench.ts'),
  await import('./commands/stats.ts'),
  await import('./commands/reload.ts'),
];

/** Builds the program with every command registered, ready for `parseAsync(process.argv)`. */
export function buildProgram(): Command {
  const program = new Command('mycelium').version(pkg.version).description(pkg.description);
  for (const command of COMMANDS) command.register(program);
  return program;
}
