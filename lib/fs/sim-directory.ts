import type { SimBackend } from '../gpio/sim-backend.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { parseChoice } from '../aggregator/sysfs-input.js';

const PULLS = ['pull-up', 'pull-down'] as const;

/**
 * `.sim/gpiochipN/sim_gpioK/{pull,value}`: the simulated board's control
 * files, modelled on gpio-sim's sysfs attributes. The top directory is
 * root-only (0700); inside, the modes are gpio-sim's (pull 0644, value 0444).
 */
export function simDirectory(sim: SimBackend): DirectoryNode {
  const root = new DirectoryNode(0o700);
  for (const chip of sim.listChips()) {
    const chipDirectory = new DirectoryNode(0o755);
    for (let offset = 0; offset < chip.lines; offset += 1) {
      chipDirectory.add(`sim_gpio${offset}`, new DirectoryNode(0o755)
        .add('pull', new AttributeFile(0o644, {
          show: () => `${sim.pull(chip.name, offset)}\n`,
          store: (text) => sim.setPull(chip.name, offset, parseChoice(text, PULLS, 'pull')),
        }))
        .add('value', new AttributeFile(0o444, { show: () => `${sim.level(chip.name, offset)}\n` })));
    }
    root.add(chip.name, chipDirectory);
  }
  return root;
}
