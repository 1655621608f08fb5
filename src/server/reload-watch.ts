/**
 * Watches a configuration file for changes, the trigger behind reload-on-save.
 *
 * The watch is on the file's directory, not the file: editors and deploy tools often save by
 * writing a new file and renaming it over the old one, which replaces the inode a file watch
 * would follow, and the watch would go quiet after the first save. Events are debounced, because
 * one save is often several (truncate, write, rename, chmod) and a reload halfway through would
 * read half a file; a reload that does read a file being written is rejected like any invalid file,
 * and the event of the rest of the write triggers the next one.
 *
 * Any event in the directory leads to a `stat` of the file (following symbolic links), and a
 * change is reported only when what `stat` says differs from last time (inode, size, times, or
 * the file appearing or going away). So other files in a shared directory do not cause reloads,
 * and a symbolic link swapped in the directory (as Kubernetes does with a ConfigMap's `..data`)
 * is seen, since the link's name is not the file's.
 */
import { type FSWatcher, type Stats, statSync, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from './logger.ts';

/** How long a burst of events must stay quiet before the file is looked at. */
export const WATCH_DEBOUNCE_MS = 150;

/** Options of {@link watchConfigFile}. */
export interface WatchOptions {
  /** Quiet time before the file is looked at (default {@link WATCH_DEBOUNCE_MS}). */
  readonly debounceMs?: number;
  /** Where to log a watch that fails (e.g. the directory was removed). */
  readonly logger?: Logger;
}

/** A running watch; `close()` stops it. */
export interface ConfigWatcher {
  close(): void;
}

/** What `stat` says about the file, as one comparable string ('' when it cannot be read). */
function signature(info: Stats | undefined): string {
  if (info === undefined) return '';
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.mode}`;
}

function statNow(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Calls `onChange` once after each burst of changes to `file` (written, replaced by a rename,
 * removed, created again, made unreadable). The watch holds no reference on the event loop, so it
 * never keeps a process alive by itself.
 */
export function watchConfigFile(
  file: string,
  onChange: () => void,
  options: WatchOptions = {},
): ConfigWatcher {
  const debounceMs = options.debounceMs ?? WATCH_DEBOUNCE_MS;
  let last = signature(statNow(file));
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const look = async (): Promise<void> => {
    timer = undefined;
    const now = signature(await stat(file).catch(() => undefined));
    if (closed || now === last) return;
    last = now;
    onChange();
  };
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void look(), debounceMs);
    timer.unref();
  });
  const stop = (): void => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    watcher.close();
  };
  watcher.on('error', (err) => {
    options.logger?.warn({ err, file }, 'config file watch failed; reload with SIGHUP or `mycelium reload`');
    stop();
  });
  return { close: stop };
}
