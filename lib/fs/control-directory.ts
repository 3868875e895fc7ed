import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import { AGGREGATOR_PREFIX } from '../aggregator/aggregator.js';
import { parseAggregatorName, type Registry } from '../aggregator/registry.js';
import { AttributeFile } from './attribute-file.js';
import { audit, auditText } from './audit.js';
import { isPrivileged, type Caller } from './caller.js';
import { DirectoryNode } from './directory.js';
import { LastErrors } from './last-errors.js';

const log = createDebug('gpio-aggfs:fs:control');

/** A spec may name up to 512 lines, some by long quoted names: allow more than one page. */
const MAX_SPEC_BYTES = 65536;

/**
 * `agg/`: new_device and delete_device (the kernel gpio-aggregator's
 * interface), devices (what exists) and last_error (why the caller's last
 * control write failed; kept until their next failure). An aggregator created by a
 * non-root caller is theirs (uid and primary gid); a non-root caller may
 * delete only an aggregator whose gpio-agg.N they own (`ownerOf` tells),
 * anything else is EPERM. Root may do everything. Creations and deletions
 * are audited.
 */
export function controlDirectory(registry: Registry, ownerOf: (name: string) => number | undefined): DirectoryNode {
  const lastErrors = new LastErrors();
  const control = (file: string, action: (text: string, caller: Caller) => void) => (text: string, caller: Caller): void => {
    try {
      action(text, caller);
    } catch (err) {
      if (err instanceof GpioAggError) {
        const message = `${file}: ${err.message} (${err.code})`;
        lastErrors.record(caller, `${message}\n`);
        log('%s, uid %d', message, caller.uid);
      }
      throw err;
    }
  };
  return new DirectoryNode(0o755)
    .add('new_device', new AttributeFile(0o200, {
      store: control('new_device', (text, caller) => {
        const created = registry.create(text, undefined, isPrivileged(caller) ? undefined : { uid: caller.uid, gid: caller.gid });
        audit(caller, 'create', created.name, auditText(created.spec));
      }),
      maxWrite: MAX_SPEC_BYTES,
    }))
    .add('delete_device', new AttributeFile(0o200, {
      store: control('delete_device', (text, caller) => {
        const deleted = registry.delete(text, isPrivileged(caller) ? undefined : (name) => {
          if (ownerOf(name) !== caller.uid) throw new GpioAggError('EPERM', `${name} belongs to another user`);
        });
        audit(caller, 'delete', deleted?.name ?? `${AGGREGATOR_PREFIX}${parseAggregatorName(text)}`);
      }),
    }))
    .add('devices', new AttributeFile(0o444, {
      show: () => registry.list().map((a) => `${a.name} ${a.spec}\n`).join(''),
    }))
    .add('last_error', new AttributeFile(0o444, { show: (caller) => lastErrors.of(caller) }));
}
