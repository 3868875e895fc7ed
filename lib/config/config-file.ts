import { GpioAggError } from '../errors.js';
import { parseJsonFile } from '../files/json-text.js';
import { readTrustedFile } from '../files/trusted-path.js';
import { parseMode } from '../fs/mode.js';
import { parseSpec } from '../spec/parse.js';
import { CONFIG_SCHEMA, type ConfigJson, type DirectorySettingsJson } from './config-schema.js';
import { IdNames } from './ids.js';
import { compileValidator } from './validate.js';

/** Owner, group and modes to give an entry; undefined fields are left as they are. */
export interface Permissions {
  readonly uid?: number;
  readonly gid?: number;
  /** For the entry itself. */
  readonly mode?: number;
  /** For every file below a directory. */
  readonly fileMode?: number;
}

export interface ConfiguredAggregator {
  /** Where it is in the file, for error messages: "aggregators[2]". */
  readonly field: string;
  readonly spec: string;
  readonly id?: number;
  readonly permissions: Permissions;
  /** Line index → its settings. */
  readonly lines: ReadonlyMap<number, Permissions>;
}

export type ControlFileName = 'new_device' | 'delete_device';

export interface Config {
  readonly file: string;
  readonly aggregators: readonly ConfiguredAggregator[];
  readonly control: ReadonlyMap<ControlFileName, Permissions>;
  /** Legacy sysfs GPIO bases by chip name or label (`sysfs.bases`). */
  readonly sysfsBases: ReadonlyMap<string, number>;
}

const validateConfig = compileValidator<ConfigJson>(CONFIG_SCHEMA);

/**
 * Read and check a config file completely: JSON syntax, the schema, each
 * spec's syntax, user and group names, unique ids. Anything wrong throws a
 * GpioAggError (EINVAL, or the read's errno) naming the file and the field
 * (a syntax error: the line and column, without quoting the text).
 * The file is read only when others cannot change it (readTrustedFile: owned
 * by root or this user, not writable by others, in directories only they can
 * change); a symlink is followed, since only they can have placed it there.
 * Whether the specs' chips and lines exist is checked when it is applied.
 */
export function loadConfig(file: string, ids: IdNames = new IdNames()): Config {
  const text = readTrustedFile(file, 'config file', { followSymlink: true, singleLink: false });
  if (text === undefined) throw new GpioAggError('ENOENT', `${file}: cannot read the config file: no such file`);
  const json = validateConfig(file, parseJsonFile(text, file, 'config file'));
  const fail = (field: string, expected: string): never => {
    throw new GpioAggError('EINVAL', `${file}: ${field}: expected ${expected}`);
  };

  const permissions = (settings: DirectorySettingsJson, field: string): Permissions => {
    const result: { uid?: number; gid?: number; mode?: number; fileMode?: number } = {};
    if (settings.owner !== undefined) {
      result.uid = ids.user(settings.owner)
        ?? fail(`${field}.owner`, `a user name from ${ids.passwdFile} or a uid, got unknown user ${JSON.stringify(settings.owner)}`);
    }
    if (settings.group !== undefined) {
      result.gid = ids.group(settings.group)
        ?? fail(`${field}.group`, `a group name from ${ids.groupFile} or a gid, got unknown group ${JSON.stringify(settings.group)}`);
    }
    // The schema has checked the mode strings' syntax.
    if (settings.mode !== undefined) result.mode = parseMode(settings.mode) as number;
    if (settings.fileMode !== undefined) result.fileMode = parseMode(settings.fileMode) as number;
    return result;
  };

  const seenIds = new Map<number, string>();
  const aggregators = (json.aggregators ?? []).map((entry, index): ConfiguredAggregator => {
    const field = `aggregators[${index}]`;
    try {
      parseSpec(entry.spec);
    } catch (err) {
      fail(`${field}.spec`, `a line spec such as "gpiochip0 3-5": ${(err as Error).message}`);
    }
    if (entry.id !== undefined) {
      const other = seenIds.get(entry.id);
      if (other !== undefined) fail(`${field}.id`, `an id not used by another aggregator, but ${other}.id is ${entry.id} too`);
      seenIds.set(entry.id, field);
    }
    const lines = new Map<number, Permissions>();
    for (const [name, settings] of Object.entries(entry.lines ?? {})) {
      lines.set(Number(name.slice('line'.length)), permissions(settings, `${field}.lines.${name}`));
    }
    return {
      field,
      spec: entry.spec,
      ...(entry.id === undefined ? {} : { id: entry.id }),
      permissions: permissions(entry, field),
      lines,
    };
  });

  const control = new Map<ControlFileName, Permissions>();
  for (const name of ['new_device', 'delete_device'] as const) {
    const settings = json.control?.[name];
    if (settings !== undefined) control.set(name, permissions(settings, `control.${name}`));
  }
  const sysfsBases = new Map(Object.entries(json.sysfs?.bases ?? {}));
  return { file, aggregators, control, sysfsBases };
}
