import { stat } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { CommandError } from './failure.js';
import { MountFiles } from './mount-files.js';

interface ListArgs {
  mountpoint: string;
  json: boolean;
}

interface ListedLine {
  line: string;
  name: string;
  source: string;
  direction: string;
  value: string;
  owner: number;
  group: number;
  mode: string;
}

interface ListedAggregator {
  name: string;
  spec: string;
  owner: number;
  group: number;
  mode: string;
  lines: ListedLine[];
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

async function listAggregator(files: MountFiles, name: string): Promise<ListedAggregator> {
  const directory = await stat(files.path(name));
  const count = Number(await files.attribute(name, 'ngpio'));
  const lines: ListedLine[] = [];
  for (let index = 0; index < count; index += 1) {
    const line = `line${index}`;
    const info = await stat(files.path(name, line));
    // A line the caller may not read still gets listed, with what could be read.
    const read = (attribute: string): Promise<string> => files.attribute(name, line, attribute).catch(() => '?');
    lines.push({
      line,
      name: await read('name'),
      source: await read('source'),
      direction: await read('direction'),
      value: await read('value'),
      owner: info.uid,
      group: info.gid,
      mode: octal(info.mode),
    });
  }
  return {
    name, spec: await files.attribute(name, 'spec'), owner: directory.uid, group: directory.gid, mode: octal(directory.mode), lines,
  };
}

/** `gpio-aggfs list`: every aggregator with its lines' source, direction, value, owner and mode. */
export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list <mountpoint>',
  describe: 'List aggregators and their lines (source, direction, value, owner, mode)',
  builder: (yargs: Argv) => yargs
    .positional('mountpoint', { type: 'string', demandOption: true })
    .option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
  handler: async (args: ArgumentsCamelCase<ListArgs>) => {
    const files = new MountFiles(args.mountpoint);
    const names = await files.aggregatorNames().catch(() => {
      throw new CommandError(`${args.mountpoint} is not a gpio-aggfs mount`);
    });
    const aggregators: ListedAggregator[] = [];
    for (const name of names) aggregators.push(await listAggregator(files, name));
    if (args.json) {
      console.log(JSON.stringify(aggregators, null, 2));
      return;
    }
    for (const aggregator of aggregators) {
      console.log(`${aggregator.name}  ${aggregator.spec}  (owner ${aggregator.owner}:${aggregator.group} mode ${aggregator.mode})`);
      for (const line of aggregator.lines) {
        const label = line.name === '' ? '' : ` "${line.name}"`;
        console.log(`  ${line.line.padEnd(7)} ${line.source.padEnd(14)} ${line.direction.padEnd(3)} ${line.value}  ${line.owner}:${line.group} ${line.mode}${label}`);
      }
    }
  },
};
