import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { DEFAULT_TRANSPORT, TRANSPORTS, type TransportName } from '../fs/transport.js';
import { parseSysfsBase, sysfsBases } from '../sysfs/numbering.js';
import { GPIO_LIBRARY_OPTION } from './gpio-library-option.js';

interface MountArgs {
  mountpoint: string;
  sim?: string | undefined;
  gpioLibrary?: string | undefined;
  state?: string | undefined;
  config?: string | undefined;
  sysfsBase?: [string, number][] | undefined;
  transport: TransportName;
}

/** `gpio-aggfs mount`: serve in the foreground until SIGINT/SIGTERM (systemd Type=simple). */
export const mountCommand: CommandModule<object, MountArgs> = {
  command: 'mount <mountpoint>',
  describe: 'Mount gpio-aggfs at <mountpoint> and serve it in the foreground',
  builder: (yargs: Argv) => yargs
    .positional('mountpoint', { type: 'string', demandOption: true, describe: 'Directory to mount on (created if missing)' })
    .option('sim', { type: 'string', describe: 'Use the simulated backend with this board file (JSON)' })
    .option('gpio-library', GPIO_LIBRARY_OPTION)
    .option('state', { type: 'string', describe: 'State file: aggregators and permissions, restored at start' })
    .option('config', { type: 'string', describe: 'Config file (JSON): aggregators with owners and modes applied at start' })
    .option('sysfs-base', {
      type: 'string',
      array: true,
      describe: 'Legacy GPIO base of a chip in sysfs-gpio/, CHIP=BASE (chip name or label), e.g. gpiochip0=0; repeatable',
      coerce: (values: string[]) => values.map(parseSysfsBase),
    })
    .option('transport', {
      choices: TRANSPORTS,
      default: DEFAULT_TRANSPORT,
      describe: 'Who speaks FUSE: direct (gpio-aggfs itself: poll, caches with invalidation, per-request interrupts) or fuse-native (libfuse 2, optional dependency)',
    }),
  handler: async (args: ArgumentsCamelCase<MountArgs>) => {
    // Loaded here, not at the top: the service pulls in FUSE, ajv and the GPIO backends, which
    // every other command (and --help) would otherwise pay for at start-up.
    const { startService } = await import('../service.js');
    const service = await startService({
      mountpoint: args.mountpoint, sim: args.sim, gpioLibrary: args.gpioLibrary, state: args.state, config: args.config,
      sysfsBases: sysfsBases(args.sysfsBase ?? [], '--sysfs-base'), transport: args.transport,
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      console.error(`gpio-aggfs: ${signal}: unmounting ${service.mountpoint}`);
      void service.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    console.log(`gpio-aggfs: serving ${service.mountpoint} (GPIO: ${service.library})`);
    await service.stopped;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
};
