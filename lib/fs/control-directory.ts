import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Registry } from '../aggregator/registry.js';
import { AttributeFile } from './attribute-file.js';
import { isPrivileged, type Caller } from './caller.js';
import { DirectoryNode } from './directory.js';

const log = createDebug('gpio-aggfs:fs:control');

/** A spec may name up to 512 lines, some by long quoted names: allow more than one page. */
const MAX_SPEC_BYTES = 65536;

/**
 * `agg/`: new_device and delete_device (the kernel gpio-aggregator's
 * interface), devices (what exists) and last_error (why the last control
 * write failed; kept until the next failure). An aggregator created by a
 * non-root caller is theirs (uid and primary gid); a non-root caller may
 * delete only an aggregator whose gpio-agg.N they own (`ownerOf` tells),
 * anything else is EPERM. Root may do everything.
 */
export function controlDirectory(registry: Registry, ownerOf: (name: string) => number | undefined): DirectoryNode {
  let lastError = '';
  const control = (file: string, action: (text: string, caller: Caller) => void) => (text: string, caller: Caller): void => {
    try {
      action(text, caller);
    } catch (err) {
      if (err instanceof GpioAggError) {
        lastError = `${file}: ${err.message} (${err.code})\n`;
        log('%s', lastError.trimEnd());
      }
      throw err;
    }
  };
  return new DirectoryNode(0o755)
    .add('new_device', new AttributeFile(0o200, {
      store: control('new_device', (text, caller) => {
        registry.create(text, undefined, isPrivileged(caller) ? undefined : { uid: caller.uid, gid: caller.gid });
      }),
      maxWrite: MAX_SPEC_BYTES,
    }))
    .add('delete_device', new AttributeFile(0o200, {
      store: control('delete_device', (text, caller) => {
        registry.delete(text, isPrivileged(caller) ? undefined : (name) => {
          if (ownerOf(name) !== caller.uid) throw new GpioAggError('EPERM', `${name} belongs to another user`);
        });
      }),
    }))
    .add('devices', new AttributeFile(0o444, {
      show: () => registry.list().map((a) => `${a.name} ${a.spec}\n`).join(''),
    }))
    .add('last_error', new AttributeFile(0o444, { show: () => lastError }));
}
