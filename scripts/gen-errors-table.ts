// Prints the table rows of docs/errors.md from the catalog in src/errors.ts, so the doc is
// regenerated rather than hand-edited when a code is added: `npx tsx scripts/gen-errors-table.ts`.
import { ERROR_CATALOG, type ErrorCode } from '../src/errors.ts';

for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
  const spec = ERROR_CATALOG[code];
  console.log(`| \`${code}\` | ${spec.wire} | ${spec.fatal ? 'yes' : 'no'} | ${spec.description} |`);
}
