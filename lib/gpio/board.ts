/**
 * The board file of the simulated backend: which chips exist, how many lines
 * each has and what the lines are called — what one would otherwise set up
 * through gpio-sim's configfs tree.
 *
 * ```json
 * { "chips": [
 *     { "label": "sim-a", "lines": 8, "names": { "0": "LED0", "3": "BUTTON" } },
 *     { "label": "sim-b", "lines": 16, "bias": false }
 * ] }
 * ```
 *
 * Validation is strict (unknown fields included) because a typo in a test
 * board should fail loudly rather than silently give a different board.
 */
import { readFileSync } from 'node:fs';
import { GpioAggError, fromSystemError } from '../errors.js';

/** gpio-aggfs never aggregates more than 512 lines, so no chip needs more. */
export const MAX_LINES_PER_CHIP = 512;

export interface BoardChip {
  readonly label: string;
  /** Number of lines. */
  readonly lines: number;
  /** Line names by offset, "" for an unnamed line; always `lines` long. */
  readonly lineNames: readonly string[];
  /**
   * Whether the chip accepts bias settings. `false` models a driver whose
   * set_config callback refuses them with EOPNOTSUPP.
   */
  readonly bias: boolean;
}

export interface Board {
  /** Where the board came from, for messages. */
  readonly source: string;
  readonly chips: readonly BoardChip[];
}

const CHIP_FIELDS = new Set(['label', 'lines', 'names', 'bias']);
const DECIMAL_OFFSET = /^(0|[1-9][0-9]*)$/;

export function loadBoard(path: string): Board {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw fromSystemError(err, `${path}: cannot read board file`);
  }
  let text: string;
  try {
    // Names are UTF-8: a file that is not is refused rather than read with U+FFFD in its names.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new GpioAggError('EINVAL', `${path}: not valid UTF-8`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new GpioAggError('EINVAL', `${path}: not valid JSON: ${detail}`, { cause: err });
  }
  return parseBoard(json, path);
}

export function parseBoard(json: unknown, source: string): Board {
  function fail(path: string, problem: string): never {
    throw new GpioAggError('EINVAL', `${source}: ${path}: ${problem}`);
  }

  if (!isPlainObject(json)) fail('(top level)', `expected an object with "chips", got ${describe(json)}`);
  for (const key of Object.keys(json)) {
    if (key !== 'chips') fail(key, 'unknown field');
  }
  const chipsJson: unknown = json['chips'];
  if (!Array.isArray(chipsJson) || chipsJson.length === 0) {
    fail('chips', `expected a non-empty array, got ${describe(chipsJson)}`);
  }

  const chips = chipsJson.map((chipJson: unknown, index: number): BoardChip => {
    const at = `chips[${index}]`;
    if (!isPlainObject(chipJson)) fail(at, `expected an object, got ${describe(chipJson)}`);
    const chip = chipJson;
    for (const key of Object.keys(chip)) {
      if (!CHIP_FIELDS.has(key)) fail(`${at}.${key}`, 'unknown field');
    }

    const label = chip['label'];
    if (typeof label !== 'string' || label === '') {
      fail(`${at}.label`, `expected a non-empty string, got ${describe(label)}`);
    }

    const lines = chip['lines'];
    if (typeof lines !== 'number' || !Number.isInteger(lines) || lines < 1 || lines > MAX_LINES_PER_CHIP) {
      fail(`${at}.lines`, `expected an integer from 1 to ${MAX_LINES_PER_CHIP}, got ${describe(lines)}`);
    }
    const lineNames: string[] = new Array<string>(lines).fill('');
    const names = chip['names'];
    if (names !== undefined) {
      if (!isPlainObject(names)) fail(`${at}.names`, `expected an object of offset → name, got ${describe(names)}`);
      for (const [key, name] of Object.entries(names)) {
        const namePath = `${at}.names[${JSON.stringify(key)}]`;
        if (!DECIMAL_OFFSET.test(key) || Number(key) >= lines) {
          fail(namePath, `expected a decimal line offset below ${lines}`);
        }
        if (typeof name !== 'string') fail(namePath, `expected a string, got ${describe(name)}`);
        lineNames[Number(key)] = name;
      }
    }

    const bias = chip['bias'];
    if (bias !== undefined && typeof bias !== 'boolean') {
      fail(`${at}.bias`, `expected true or false, got ${describe(bias)}`);
    }

    return { label, lines, lineNames, bias: bias !== false };
  });

  return { source, chips };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}
