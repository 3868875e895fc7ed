import { resolve } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { stopInstance } from '../fs/mountpoint.js';

interface UnmountArgs {
  mountpoint: string;
}

/** `gpio-aggfs unmount`: stop the instance serving a mountpoint (releasing its lines), or clear a stale mount. */
export const unmountCommand: CommandModule<object, UnmountArgs> = {
  command: 'unmount <mountpoint>',
  describe: 'Stop the gpio-aggfs serving <mountpoint> and release its lines',
  builder: (yargs: Argv) => yargs.positional('mountpoint', { type: 'string', demandOption: true }),
  handler: async (args: ArgumentsCamelCase<UnmountArgs>) => {
    await stopInstance(resolve(args.mountpoint));
  },
};
