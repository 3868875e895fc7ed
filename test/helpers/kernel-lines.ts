import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
    const offsets = Array.from({ length: chip.lines }, (_, offset) => String(offset));
    // Requesting as input (and releasing) makes a line an input again. A line
    // another daemon of the same test still holds is left alone.
    const inputs = tryGpioget(chip.name, offsets) ? offsets : offsets.filter((offset) => tryGpioget(chip.name, [offset]));
    for (const offset of inputs) writeFileSync(`${chip.sysfsDir}/sim_gpio${offset}/pull`, 'pull-down');
  }
}

function tryGpioget(chip: string, offsets: readonly string[]): boolean {
  try {
    execFileSync('gpioget', [chip, ...offsets], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
