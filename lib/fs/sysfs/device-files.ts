import { GpioAggError } from '../../errors.js';
import { parseChoice, sysfsWord } from '../../aggregator/sysfs-input.js';
import { AttributeFile } from '../attribute-file.js';
import { DirectoryNode } from '../directory.js';
import { SymlinkNode } from '../symlink-node.js';

/** The actions kobject_synth_uevent() accepts (kobject_actions[] of lib/kobject_uevent.c). */
const UEVENT_ACTIONS = ['add', 'remove', 'change', 'move', 'online', 'offline', 'bind', 'unbind'];

/**
 * `uevent` of a class device without properties: reads empty; a write of an
 * action (optionally followed by arguments) is what the kernel would turn
 * into a synthetic uevent — there is no device to announce here, so it is
 * accepted and does nothing; anything else is EINVAL, as uevent_store() answers.
 */
export function ueventFile(): AttributeFile {
  return new AttributeFile(0o644, {
    show: () => '',
    store: (text) => {
      const action = sysfsWord(text).split(' ')[0] ?? '';
      if (!UEVENT_ACTIONS.includes(action)) {
        throw new GpioAggError('EINVAL', `invalid uevent action ${JSON.stringify(action)}: expected one of ${UEVENT_ACTIONS.join(', ')}`);
      }
    },
  });
}

/**
 * `power/` of a device whose runtime power management is disabled, as the
 * kernel shows it for gpiochip and gpio class devices (drivers/base/power/sysfs.c):
 * `control` takes `auto` or `on` (on forbids runtime suspend and takes a
 * usage count), `async` takes `enabled` or `disabled`, `autosuspend_delay_ms`
 * answers EIO (the device does not use autosuspend).
 */
export function powerDirectory(): DirectoryNode {
  let forbidden = false;
  let asyncSuspend = 'disabled';
  const readOnly = (show: () => string): AttributeFile => new AttributeFile(0o444, { show: () => `${show()}\n` });
  const noAutosuspend = (): never => {
    throw new GpioAggError('EIO', 'the device does not use autosuspend');
  };
  return new DirectoryNode(0o755)
    .add('async', new AttributeFile(0o644, {
      show: () => `${asyncSuspend}\n`,
      store: (text) => { asyncSuspend = parseChoice(text, ['enabled', 'disabled'] as const, 'async'); },
    }))
    .add('autosuspend_delay_ms', new AttributeFile(0o644, { show: noAutosuspend, store: noAutosuspend }))
    .add('control', new AttributeFile(0o644, {
      show: () => (forbidden ? 'on\n' : 'auto\n'),
      store: (text) => { forbidden = parseChoice(text, ['auto', 'on'] as const, 'control') === 'on'; },
    }))
    .add('runtime_active_kids', readOnly(() => '0'))
    .add('runtime_active_time', readOnly(() => '0'))
    .add('runtime_enabled', readOnly(() => (forbidden ? 'disabled & forbidden' : 'disabled')))
    .add('runtime_status', readOnly(() => 'unsupported'))
    .add('runtime_suspended_time', readOnly(() => '0'))
    .add('runtime_usage', readOnly(() => (forbidden ? '1' : '0')));
}

/** `subsystem`: the class directory, which is the view itself (`levels` directories up). */
export function subsystemLink(levels: number): SymlinkNode {
  return new SymlinkNode(() => Array.from({ length: levels }, () => '..').join('/'));
}
