import type { SchemaObject } from 'ajv';
import { OCTAL_MODE_PATTERN } from '../fs/mode.js';

/**
 * The config file's JSON schema. Every node's `description` says what is
 * expected there; validation errors quote it.
 */

const ID_NAME = '^[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?$';

const owner = {
  type: ['string', 'integer'],
  minimum: 0,
  maximum: 4294967294,
  minLength: 1,
  pattern: ID_NAME,
  description: 'a user name or a uid',
};

const group = { ...owner, description: 'a group name or a gid' };

const mode = { type: 'string', pattern: OCTAL_MODE_PATTERN, description: 'an octal mode string such as "0750"' };

const fileMode = { ...mode, description: 'an octal mode string such as "0660", for every file below' };

/** A directory's settings: owner and group apply to it and everything below it; mode to it alone. */
const directoryPermissions = {
  owner,
  group,
  mode: { ...mode, description: 'an octal mode string such as "0750", for the directory itself' },
  fileMode,
};

export const LINE_KEY_PATTERN = '^line(0|[1-9][0-9]{0,2})$';

const lineSettings = {
  type: 'object',
  description: 'an object with owner, group, mode, fileMode',
  additionalProperties: false,
  properties: directoryPermissions,
};

const controlFile = {
  type: 'object',
  description: 'an object with owner, group, mode',
  additionalProperties: false,
  properties: { owner, group, mode },
};

export const CONFIG_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'a JSON object with "aggregators" and optionally "control" and "sysfs"',
  additionalProperties: false,
  properties: {
    aggregators: {
      type: 'array',
      description: 'a list of aggregators',
      items: {
        type: 'object',
        description: 'an object with spec and optionally id, owner, group, mode, fileMode, lines',
        additionalProperties: false,
        required: ['spec'],
        properties: {
          spec: { type: 'string', minLength: 1, pattern: '\\S', description: 'a line spec as written to agg/new_device, such as "gpiochip0 3-5"' },
          id: { type: 'integer', minimum: 0, maximum: 999999999, description: 'the aggregator number N of gpio-agg.N (0 to 999999999)' },
          ...directoryPermissions,
          lines: {
            type: 'object',
            description: 'line names line0, line1, …',
            additionalProperties: false,
            patternProperties: { [LINE_KEY_PATTERN]: lineSettings },
          },
        },
      },
    },
    control: {
      type: 'object',
      description: 'an object with new_device, delete_device',
      additionalProperties: false,
      properties: { new_device: controlFile, delete_device: controlFile },
    },
    sysfs: {
      type: 'object',
      description: 'an object with bases',
      additionalProperties: false,
      properties: {
        bases: {
          type: 'object',
          description: 'an object mapping chip names or labels to legacy GPIO bases',
          additionalProperties: { type: 'integer', minimum: 0, maximum: 2147483647, description: 'a GPIO base from 0 to 2147483647' },
        },
      },
    },
  },
};

/** The config file as the schema accepts it. */
export interface DirectorySettingsJson {
  owner?: string | number;
  group?: string | number;
  mode?: string;
  fileMode?: string;
}

export interface AggregatorJson extends DirectorySettingsJson {
  spec: string;
  id?: number;
  lines?: Record<string, DirectorySettingsJson>;
}

export interface ConfigJson {
  aggregators?: AggregatorJson[];
  sysfs?: { bases?: Record<string, number> };
  control?: Partial<Record<'new_device' | 'delete_device', Omit<DirectorySettingsJson, 'fileMode'>>>;
}
