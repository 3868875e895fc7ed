import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SchemaObject } from 'ajv';
import { fromSystemError, GpioAggError } from '../errors.js';
import { compileValidator } from '../config/validate.js';
import { formatMode, OCTAL_MODE_PATTERN, parseMode } from '../fs/mode.js';

/**
 * The state file: every aggregator (id and normalised spec) and the
 * mode/owner/group of every entry that differs from its default, keyed by its
 * path inside the mount. On disk:
 *
 *   { "version": 1,
 *     "aggregators": [ { "id": 0, "spec": "gpiochip0 3-5" } ],
 *     "permissions": { "gpio-agg.0/line0": { "mode": "0750", "uid": 1000, "gid": 1000 } } }
 */
export const STATE_VERSION = 1;

export interface SavedAggregator {
  readonly id: number;
  readonly spec: string;
}

export interface SavedPermissions {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface SavedState {
  readonly aggregators: readonly SavedAggregator[];
  /** Path relative to the mount → permissions. */
  readonly permissions: ReadonlyMap<string, SavedPermissions>;
}

export const EMPTY_STATE: SavedState = { aggregators: [], permissions: new Map() };

interface StateJson {
  version: number;
  aggregators: { id: number; spec: string }[];
  permissions: Record<string, { mode: string; uid: number; gid: number }>;
}

const ID = { type: 'integer', minimum: 0, maximum: 4294967294, description: 'a numeric id (0 to 4294967294)' };

const STATE_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'a state object with version, aggregators and permissions',
  additionalProperties: false,
  required: ['version', 'aggregators', 'permissions'],
  properties: {
    version: { const: STATE_VERSION, description: `state format version ${STATE_VERSION}` },
    aggregators: {
      type: 'array',
      description: 'a list of aggregators',
      items: {
        type: 'object',
        description: 'an aggregator with id and spec',
        additionalProperties: false,
        required: ['id', 'spec'],
        properties: {
          id: { type: 'integer', minimum: 0, maximum: 999999999, description: 'an aggregator number (0 to 999999999)' },
          spec: { type: 'string', minLength: 1, description: 'a normalised line spec' },
        },
      },
    },
    permissions: {
      type: 'object',
      description: 'an object mapping paths to permissions',
      additionalProperties: {
        type: 'object',
        description: 'mode, uid and gid',
        additionalProperties: false,
        required: ['mode', 'uid', 'gid'],
        properties: {
          mode: { type: 'string', pattern: OCTAL_MODE_PATTERN, description: 'an octal mode such as "0750"' },
          uid: ID,
          gid: ID,
        },
      },
    },
  },
};

const validateState = compileValidator<StateJson>(STATE_SCHEMA);

/**
 * Read a state file. A missing file is an empty state (first start); an
 * empty, unparsable or malformed one is refused: starting empty would
 * overwrite what an administrator set up.
 */
export function loadState(file: string): SavedState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
    throw fromSystemError(err, `${file}: cannot read the state file`);
  }
  if (text.trim() === '') {
    throw new GpioAggError('EINVAL', `${file}: the state file is empty; restore it from a backup or remove it to start with no aggregators`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new GpioAggError('EINVAL', `${file}: the state file is not valid JSON (${(err as Error).message}); restore it from a backup or remove it to start with no aggregators`);
  }
  const json = validateState(file, data);
  const ids = new Set<number>();
  json.aggregators.forEach(({ id }, index) => {
    if (ids.has(id)) throw new GpioAggError('EINVAL', `${file}: aggregators[${index}].id: expected a unique id, got ${id} twice`);
    ids.add(id);
  });
  const permissions = new Map<string, SavedPermissions>();
  for (const [path, { mode, uid, gid }] of Object.entries(json.permissions)) {
    permissions.set(path, { mode: parseMode(mode) as number, uid, gid });
  }
  return { aggregators: json.aggregators.map(({ id, spec }) => ({ id, spec })), permissions };
}

/** One aggregator or entry per line: readable, and small diffs between saves. */
export function serializeState(state: SavedState): string {
  const aggregators = [...state.aggregators].sort((a, b) => a.id - b.id)
    .map(({ id, spec }) => `    ${JSON.stringify({ id, spec })}`);
  const permissions = [...state.permissions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, { mode, uid, gid }]) => `    ${JSON.stringify(path)}: ${JSON.stringify({ mode: formatMode(mode), uid, gid })}`);
  const list = (items: string[], open: string, close: string): string =>
    (items.length === 0 ? `${open}${close}` : `${open}\n${items.join(',\n')}\n  ${close}`);
  return `{\n  "version": ${STATE_VERSION},\n  "aggregators": ${list(aggregators, '[', ']')},\n`
    + `  "permissions": ${list(permissions, '{', '}')}\n}\n`;
}

/**
 * Replace the state file atomically: write a temporary file in the same
 * directory, fsync it, rename it over the old one, fsync the directory. A
 * crash at any point leaves either the old or the new file, complete.
 * Synchronous, so that a change is on disk before the operation that made it
 * returns.
 */
export function saveState(file: string, state: SavedState): void {
  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.tmp`);
  try {
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      const data = Buffer.from(serializeState(state));
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    const directoryFd = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(directoryFd);
    } finally {
      closeSync(directoryFd);
    }
  } catch (err) {
    throw fromSystemError(err, `${file}: cannot save the state file`);
  }
}
