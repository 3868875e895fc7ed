import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MountFiles } from './mount-files.js';
import { specFromWords } from './spec-args.js';

interface NewArgs {
  mountpoint: string;
  spec: (string | number)[];
}

/** `gpio-aggfs new`: write a spec to agg/new_device and print the new aggregator's name. */
export const newCommand: CommandModule<object, NewArgs> = {
  command: 'new <mountpoint> <spec..>',
  describe: 'Create an aggregator from a line spec (e.g. gpiochip0 3-5,7 LED0); prints its name',
  builder: (yargs: Argv) => yargs
    .positional('mountpoint', { type: 'string', demandOption: true })
    .positional('spec', { type: 'string', array: true, demandOption: true, describe: 'Chip keys with offset lists, and line names; a single argument is the whole spec ("gpiochip0 1-2")' }),
  handler: async (args: ArgumentsCamelCase<NewArgs>) => {
    const files = new MountFiles(args.mountpoint);
    const before = new Set(await files.aggregatorNames().catch(() => []));
    await files.control('new_device', `${specFromWords(args.spec)}\n`);
    const created = (await files.aggregatorNames()).filter((name) => !before.has(name));
    // Another client creating at the same moment could add a second name; the lowest is ours or theirs alike.
    console.log(created.join('\n'));
  },
};
