import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { MountFiles } from './mount-files.js';

interface DeleteArgs {
  mountpoint: string;
  name: string;
}

/** `gpio-aggfs delete`: write a name to agg/delete_device. */
export const deleteCommand: CommandModule<object, DeleteArgs> = {
  command: 'delete <mountpoint> <name>',
  describe: 'Delete aggregator <name> (gpio-agg.N) and release its lines',
  builder: (yargs: Argv) => yargs
    .positional('mountpoint', { type: 'string', demandOption: true })
    .positional('name', { type: 'string', demandOption: true, describe: 'gpio-agg.N' }),
  handler: async (args: ArgumentsCamelCase<DeleteArgs>) => {
    await new MountFiles(args.mountpoint).control('delete_device', `${args.name}\n`);
  },
};
