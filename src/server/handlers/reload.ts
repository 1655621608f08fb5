/**
 * RELOAD (docs/protocol.md §3.15, §6.8): the admin op that reloads the server's configuration
 * file. Allowed on the Unix socket, or on TCP for a connection that presented the token now in
 * force; answered with RELOAD_RESULT once the reload has run (other frames go on meanwhile).
 */
import { MAX_REPORT_TEXT, Op, ReloadStatus, encodeReloadResult } from '../../protocol/index.ts';
import type { Connection } from '../connection.ts';
import { LocalCloseReason } from '../close-reason.ts';
import { fitReport, formatReport, ReloadOutcome, type ReloadReport } from '../reload-report.ts';

/** The text of the NOT_PERMITTED answer. */
export const RELOAD_NOT_PERMITTED_TEXT =
  'RELOAD is an admin op: use the Unix socket, or a TCP connection that presented the auth_token';

const STATUS = {
  [ReloadOutcome.Applied]: ReloadStatus.Applied,
  [ReloadOutcome.Unchanged]: ReloadStatus.Unchanged,
  [ReloadOutcome.Rejected]: ReloadStatus.Rejected,
} as const;

/** True when the connection may use admin ops (§6.8). */
export function adminPermitted(c: Connection): boolean {
  if (c.transport === 'unix') return true;
  // The token this connection presented must be the one in force: a reload that changed or
  // removed the token takes admin rights from connections that authenticated with the old one.
  const token = c.ctx.token;
  return token !== undefined && c.authenticatedBy === token;
}

export function handleReload(c: Connection, requestId: number): void {
  if (!adminPermitted(c)) {
    c.reply('NOT_PERMITTED', Op.RELOAD, requestId, RELOAD_NOT_PERMITTED_TEXT);
    return;
  }
  if (c.ctx.draining) {
    c.reply('SHUTTING_DOWN', Op.RELOAD, requestId, 'the server is shutting down and reloads nothing');
    return;
  }
  c.ctx.reloadConfig(`admin op, connection ${c.id}`).then(
    (report) => answer(c, requestId, report),
    (err: unknown) => {
      c.ctx.logger.error({ err, conn: c.id }, 'reload failed; closing the connection that asked for it');
      c.close(LocalCloseReason.InternalError, undefined, (err as Error).message);
    },
  );
}

function answer(c: Connection, requestId: number, report: ReloadReport): void {
  if (!c.open) return;
  const code = report.outcome === ReloadOutcome.Rejected ? (report.code ?? 'CONFIG_INVALID') : 0;
  const text = fitReport(formatReport(report), MAX_REPORT_TEXT);
  c.writer.writeFrame(encodeReloadResult(requestId, STATUS[report.outcome], code, text));
}
