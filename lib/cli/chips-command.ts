import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { openBackend } from '../gpio/open-backend.js';
import { CommandError } from './failure.js';
import { GPIO_LIBRARY_OPTION } from './gpio-library-option.js';

interface ChipsArgs {
  sim?: string | undefined;
  gpioLibrary?: string | undefined;
  json: boolean;
}

/** `gpio-aggfs chips`: the chips and lines gpio-aggfs can aggregate, like gpiodetect + gpioinfo. */
export const chipsCommand: CommandModule<object, ChipsArgs> = {
  command: 'chips',
  describe: 'List GPIO chips and their lines (like gpiodetect + gpioinfo)',
  builder: (yargs: Argv) => yargs
    .option('sim', { type: 'string', describe: 'Show the simulated board from this file instead of real chips' })
    .option('gpio-library', GPIO_LIBRARY_OPTION)
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
  handler: async (args: ArgumentsCamelCase<ChipsArgs>) => {
    const { backend } = await openBackend({ sim: args.sim, gpioLibrary: args.gpioLibrary });
    try {
      const chips = backend.listChips().map((chip) => ({ ...chip, lineInfo: backend.lineInfo(chip.name) }));
      if (chips.length === 0) throw new CommandError('no GPIO chips found (no /dev/gpiochip*)');
      if (args.json) {
        console.log(JSON.stringify(chips.map(({ lineNames: _names, ...chip }) => chip), null, 2));
        return;
      }
      console.log(`GPIO library: ${backend.library}`);
      for (const chip of chips) {
        console.log(`${chip.name} [${chip.label}] (${chip.lines} lines)`);
        for (const line of chip.lineInfo) {
          const name = line.name === '' ? 'unnamed' : `"${line.name}"`;
          const consumer = line.used ? `"${line.consumer}"` : 'unused';
          const flags = [line.direction === 'out' ? 'output' : 'input', line.activeLow ? 'active-low' : 'active-high'];
          if (line.bias !== 'as-is') flags.push(line.bias);
          if (line.drive !== 'push-pull') flags.push(line.drive);
          console.log(`\tline ${String(line.offset).padStart(3)}: ${name.padEnd(14)} ${consumer.padEnd(14)} ${flags.join(' ')}`);
        }
      }
    } finally {
      backend.close();
    }
  },
};
