import yargs from 'yargs';
import { readFileSync } from 'node:fs';
import { GpioAggError } from '../errors.js';
import { chipsCommand } from './chips-command.js';
import { deleteCommand } from './delete-command.js';
import { CommandError } from './failure.js';
import { listCommand } from './list-command.js';
import { mountCommand } from './mount-command.js';
import { newCommand } from './new-command.js';
import { unmountCommand } from './unmount-command.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/**
 * Run the CLI; resolves to the exit code. Every failure prints one line on
 * stderr; an unexpected one (exit 70) adds its stack only with DEBUG=gpio-aggfs:*.
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version') && !argv.includes('--help')) return printVersion(argv);
  const parser = yargs(argv)
    .scriptName('gpio-aggfs')
    .usage('$0 <command> [options]')
    .command(mountCommand)
    .command(newCommand)
    .command(deleteCommand)
    .command(listCommand)
    .command(chipsCommand)
    .command(unmountCommand)
    .demandCommand(1, 'a command is required')
    .strict()
    .help()
    .version(false)
    .option('version', { type: 'boolean', describe: 'Show the version and which GPIO library serves' })
    .fail((message, err) => {
      if (err) throw err;
      // Throwing stops yargs here; returning would let it run the command's handler regardless.
      throw new CommandError(`${message}\nRun "gpio-aggfs --help" for usage.`, EXIT_USAGE);
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof CommandError) {
      console.error(`gpio-aggfs: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof GpioAggError) {
      console.error(`gpio-aggfs: ${err.message} (${err.code})`);
      return EXIT_FAILURE;
    }
    // Still one line: the stack only when asked for (DEBUG=gpio-aggfs:*).
    const message = err instanceof Error ? err.message : String(err);
    console.error(`gpio-aggfs: internal error: ${message.split('\n')[0] ?? ''}`);
    if ((process.env.DEBUG ?? '').includes('gpio-aggfs')) console.error(err);
    return EXIT_INTERNAL;
  }
  return 0;
}

/**
 * `--version`: gpio-aggfs's version and the GPIO library that would serve
 * (honouring `--gpio-library` and GPIO_AGGFS_GPIO_LIBRARY), without opening a chip.
 */
async function printVersion(argv: readonly string[]): Promise<number> {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const at = argv.findIndex((arg) => arg === '--gpio-library' || arg.startsWith('--gpio-library='));
  const option = at < 0 ? undefined : argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  try {
    const { describeGpioLibrary } = await import('../gpio/open-backend.js');
    console.log(`gpio-aggfs ${version}\nGPIO library: ${await describeGpioLibrary({ gpioLibrary: option })}`);
    return 0;
  } catch (err) {
    console.error(`gpio-aggfs: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }
}
