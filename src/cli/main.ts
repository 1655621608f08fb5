/**
 * Entry point of the `mycelium` command (bin/mycelium.js imports it; `node --import tsx
 * src/cli/main.ts` runs it directly). Commands report failure through `process.exitCode`.
 */
import { buildProgram } from './program.ts';

await (await buildProgram(process.argv)).parseAsync(process.argv);
