import { format } from 'node:util';
import createDebug from 'debug';

/**
 * Collect what `gpio-aggfs:audit` logs in this process from now on, each
 * line without its date and namespace; `stop` restores the debug settings.
 */
export function captureAudit(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const previous = createDebug.disable();
  const previousLog = createDebug.log;
  createDebug.log = (...args: unknown[]): void => {
    const line = format(...args);
    const at = line.indexOf('gpio-aggfs:audit ');
    if (at >= 0) lines.push(line.slice(at + 'gpio-aggfs:audit '.length));
  };
  createDebug.enable('gpio-aggfs:audit');
  return {
    lines,
    stop: () => {
      createDebug.log = previousLog;
      createDebug.enable(previous);
    },
  };
}
