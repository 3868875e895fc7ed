import createDebug from 'debug';
import { isUnknownCaller, type Caller } from './caller.js';

const log = createDebug('gpio-aggfs:audit');

/** Written text is shown up to this many characters: enough for any setting, bounded for a spec. */
const MAX_SHOWN = 128;

/** User-supplied text as one JSON string: a newline in it cannot start a forged audit line. */
export function auditText(text: string): string {
  const shown = text.endsWith('\n') ? text.slice(0, -1) : text;
  return JSON.stringify(shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown);
}

/**
 * One line on `gpio-aggfs:audit` for a change that succeeded, naming who
 * made it: `uid=1001 pid=4242 write gpio-agg.0/line0/value "1"`. A caller
 * the transport cannot name is `uid=? pid=?`.
 */
export function audit(caller: Caller, action: string, target: string, detail?: string): void {
  if (!log.enabled) return;
  const who = isUnknownCaller(caller) ? 'uid=? pid=?' : `uid=${caller.uid} pid=${caller.pid}`;
  log('%s %s %s%s', who, action, target, detail === undefined ? '' : ` ${detail}`);
}
