/**
 * Cleanups a test registers with `t.after` right after it starts something, so they run when an
 * assertion fails too: a server, socket, timer or child process left open keeps the event loop
 * alive and the whole file hangs instead of failing.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

/**
 * Kills `child` after the test unless it has exited already (tests that check how it exits end
 * it themselves), and waits for its exit.
 */
export function killAfter(t: TestContext, child: ChildProcess): void {
  t.after(async () => {
    // No pid: the spawn failed and there is nothing to end.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
}
