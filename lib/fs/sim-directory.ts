import { GpioAggError } from '../errors.js';
import { MAX_LINES_PER_CHIP } from '../gpio/board.js';
import type { ChipInfo } from '../gpio/backend.js';
import type { SimBackend } from '../gpio/sim-backend.js';
import { AttributeFile } from './attribute-file.js';
import { DirectoryNode } from './directory.js';
import { parseChoice, sysfsWord } from '../aggregator/sysfs-input.js';

const PULLS = ['pull-up', 'pull-down'] as const;

/**
 * `.sim/`: the simulated board's control files, modelled on gpio-sim:
 * `gpiochipN/sim_gpioK/{pull,value}` like its sysfs attributes, and
 * `new_chip` / `delete_chip` (0200) for what its configfs does — hot-plugging
 * a chip (`echo "LABEL LINES" > new_chip` adds one with the lowest free
 * number; `echo gpiochipN > delete_chip` removes it, like writing 0 to
 * `live`). The top directory is root-only (0700); inside, the modes are
 * gpio-sim's (pull 0644, value 0444).
 */
export function simDirectory(sim: SimBackend): DirectoryNode {
  const root = new DirectoryNode(0o700)
    .add('new_chip', new AttributeFile(0o200, { store: (text) => { sim.addChip(parseNewChip(text)); } }))
    .add('delete_chip', new AttributeFile(0o200, {
      store: (text) => {
        const name = sysfsWord(text);
        if (!/^gpiochip(0|[1-9][0-9]*)$/.test(name)) {
          throw new GpioAggError('EINVAL', `invalid chip ${JSON.stringify(name)}: expected gpiochipN`);
        }
        sim.removeChip(name);
      },
    }));
  const present = new Set<string>();
  const sync = (): void => {
    const chips = sim.listChips();
    const names = new Set(chips.map((chip) => chip.name));
    for (const name of [...present]) {
      if (names.has(name)) continue;
      root.remove(name);
      present.delete(name);
    }
    for (const chip of chips) {
      if (present.has(chip.name)) continue;
      root.add(chip.name, chipDirectory(sim, chip));
      present.add(chip.name);
    }
  };
  sync();
  // The backend and this tree live and go together.
  sim.onChipsChange(sync);
  return root;
}

function chipDirectory(sim: SimBackend, chip: ChipInfo): DirectoryNode {
  const directory = new DirectoryNode(0o755);
  for (let offset = 0; offset < chip.lines; offset += 1) {
    directory.add(`sim_gpio${offset}`, new DirectoryNode(0o755)
      .add('pull', new AttributeFile(0o644, {
        show: () => `${sim.pull(chip.name, offset)}\n`,
        store: (text) => sim.setPull(chip.name, offset, parseChoice(text, PULLS, 'pull')),
      }))
      .add('value', new AttributeFile(0o444, { show: () => `${sim.level(chip.name, offset)}\n` })));
  }
  return directory;
}

/** `LABEL LINES`: a label without spaces and 1 to 512 lines. */
function parseNewChip(text: string): { label: string; lines: number; lineNames: string[]; bias: boolean } {
  const match = /^(\S+) +(0|[1-9][0-9]*)$/.exec(sysfsWord(text));
  const lines = match === null ? NaN : Number(match[2]);
  if (match === null || lines < 1 || lines > MAX_LINES_PER_CHIP) {
    throw new GpioAggError('EINVAL', `invalid chip ${JSON.stringify(sysfsWord(text))}: expected "LABEL LINES" with 1 to ${MAX_LINES_PER_CHIP} lines`);
  }
  return { label: match[1] as string, lines, lineNames: new Array<string>(lines).fill(''), bias: true };
}
