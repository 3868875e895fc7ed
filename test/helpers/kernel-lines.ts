import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { gpiogetArgs } from './gpio-tools.js';

interface VmChip {
  readonly name: string;
  readonly path: string;
  readonly lines: number;
  readonly sysfsDir: string;
}

/**
 * Put every gpio-sim line of the test VM back to how the VM created it: an
 * input pulled down. gpio-sim keeps a line's direction and level after it is
 * released, so without this one test file's outputs would leak into the next.
 * Call it while no line is held (before a daemon starts).
 */
export function resetKernelLines(): void {
  const file = process.env.GPIO_AGGFS_VM_CHIPS ?? '/run/gpio-aggfs-vm/chips.json';
  const { chips } = JSON.parse(readFileSync(file, 'utf8')) as { chips: VmChip[] };
  for (const chip of chips) {
    if (!existsSync(chip.path)) continue;
    const offsets = Array.from({ length: chip.lines }, (_, offset) => offset);
    // Requesting as input (and releasing) makes a line an input again. A line
    // another daemon of the same test still holds is left alone.
    const get = (lines: readonly number[]): boolean => tryGpioget(gpiogetArgs(chip.name, ...lines));
    const inputs = get(offsets) ? offsets : offsets.filter((offset) => get([offset]));
    for (const offset of inputs) writeFileSync(`${chip.sysfsDir}/sim_gpio${offset}/pull`, 'pull-down');
  }
}

function tryGpioget(args: readonly string[]): boolean {
  try {
    execFileSync('gpioget', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A gpio-sim chip a test creates for itself (so it may remove it), and how to remove and delete it. */
export interface RemovableChip {
  /** Its kernel name, e.g. "gpiochip2". */
  readonly name: string;
  /** Take it away under its users, like writing 0 to gpio-sim's `live`. */
  remove(): void;
  /** Remove it if still live and delete its configfs entry. */
  destroy(): void;
}

export function createRemovableChip(device: string, lines: number, label: string): RemovableChip {
  const dir = `/sys/kernel/config/gpio-sim/${device}`;
  mkdirSync(`${dir}/bank0`, { recursive: true });
  writeFileSync(`${dir}/bank0/num_lines`, String(lines));
  writeFileSync(`${dir}/bank0/label`, label);
  writeFileSync(`${dir}/live`, '1');
  const remove = (): void => {
    if (readFileSync(`${dir}/live`, 'utf8').trim() === '1') writeFileSync(`${dir}/live`, '0');
  };
  return {
    name: readFileSync(`${dir}/bank0/chip_name`, 'utf8').trim(),
    remove,
    destroy: () => {
      remove();
      rmdirSync(`${dir}/bank0`);
      rmdirSync(dir);
    },
  };
}
