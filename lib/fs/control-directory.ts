import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Registry } from '../aggregator/registry.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';

const log = createDebug('gpio-aggfs:fs:control');

/** A spec may name up to 512 lines, some by long quoted names: allow more than one page. */
const MAX_SPEC_BYTES = 65536;

/**
 * `agg/`: new_device and delete_device (the kernel gpio-aggregator's
 * interface), devices (what exists) and last_error (why the last control
 * write failed; kept until the next failure).
 */
export function controlDirectory(registry: Registry): DirectoryNode {
  let lastError = '';
  const control = (file: string, action: (text: string) => void) => (text: string): void => {
    try {
      action(text);
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
      store: control('new_device', (text) => { registry.create(text); }),
      maxWrite: MAX_SPEC_BYTES,
    }))
    .add('delete_device', new AttributeFile(0o200, {
      store: control('delete_device', (text) => { registry.delete(text); }),
    }))
    .add('devices', new AttributeFile(0o444, {
      show: () => registry.list().map((a) => `${a.name} ${a.spec}\n`).join(''),
    }))
    .add('last_error', new AttributeFile(0o444, { show: () => lastError }));
}
