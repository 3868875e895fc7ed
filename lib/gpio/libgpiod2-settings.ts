/**
 * gpio-aggfs line settings ⇄ libgpiod 2.x objects: the enum codes of gpiod.h
 * for each setting, and a `gpiod_line_config` for one line built from a
 * LineSettings (freed by the caller through `free()`).
 */
import { GpioAggError } from '../errors.js';
import type { Bias, Bit, Drive, Edge, LineSettings } from './backend.js';
import {
  GPIOD_LINE_BIAS_AS_IS, GPIOD_LINE_BIAS_DISABLED, GPIOD_LINE_BIAS_PULL_DOWN, GPIOD_LINE_BIAS_PULL_UP,
  GPIOD_LINE_BIAS_UNKNOWN,
  GPIOD_LINE_DIRECTION_AS_IS, GPIOD_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_OUTPUT,
  GPIOD_LINE_DRIVE_OPEN_DRAIN, GPIOD_LINE_DRIVE_OPEN_SOURCE, GPIOD_LINE_DRIVE_PUSH_PULL,
  GPIOD_LINE_EDGE_BOTH, GPIOD_LINE_EDGE_FALLING, GPIOD_LINE_EDGE_NONE, GPIOD_LINE_EDGE_RISING,
  GPIOD_LINE_VALUE_ACTIVE, GPIOD_LINE_VALUE_INACTIVE,
  type GpiodLineConfig, type GpiodLineSettings, type GpiodRequestConfig, type Libgpiod2Api, libgpiod2Error,
} from './libgpiod2-ffi.js';

export const EDGE_CODES: Readonly<Record<Edge, number>> = {
  none: GPIOD_LINE_EDGE_NONE, rising: GPIOD_LINE_EDGE_RISING, falling: GPIOD_LINE_EDGE_FALLING, both: GPIOD_LINE_EDGE_BOTH,
};
export const BIAS_CODES: Readonly<Record<Bias, number>> = {
  'as-is': GPIOD_LINE_BIAS_AS_IS, disable: GPIOD_LINE_BIAS_DISABLED,
  'pull-up': GPIOD_LINE_BIAS_PULL_UP, 'pull-down': GPIOD_LINE_BIAS_PULL_DOWN,
};
export const DRIVE_CODES: Readonly<Record<Drive, number>> = {
  'push-pull': GPIOD_LINE_DRIVE_PUSH_PULL, 'open-drain': GPIOD_LINE_DRIVE_OPEN_DRAIN, 'open-source': GPIOD_LINE_DRIVE_OPEN_SOURCE,
};

/** A bias code from line info; "unknown" (the kernel reports no bias flag) reads as as-is. */
export function biasOf(code: number): Bias {
  if (code === GPIOD_LINE_BIAS_UNKNOWN) return 'as-is';
  return (Object.entries(BIAS_CODES).find(([, c]) => c === code)?.[0] as Bias | undefined) ?? 'as-is';
}

export function driveOf(code: number): Drive {
  return (Object.entries(DRIVE_CODES).find(([, c]) => c === code)?.[0] as Drive | undefined) ?? 'push-pull';
}

export const isOutputCode = (direction: number): boolean => direction === GPIOD_LINE_DIRECTION_OUTPUT;

/** A libgpiod object and the function that frees it. */
export interface Owned<T> {
  readonly ptr: T;
  free(): void;
}

/** `gpiod_request_config` carrying the consumer label. */
export function requestConfig(api: Libgpiod2Api, consumer: string): Owned<GpiodRequestConfig> {
  const config = api.gpiod_request_config_new();
  if (config === null) throw libgpiod2Error('gpiod_request_config_new');
  api.gpiod_request_config_set_consumer(config, consumer);
  return { ptr: config, free: () => api.gpiod_request_config_free(config) };
}

/**
 * `gpiod_line_config` for exactly one line. `settings` null means "as is"
 * (a request that changes nothing). Drive is passed only for an output: the
 * kernel refuses drive flags on an input (the setting is kept by the caller
 * and applied when the line becomes an output).
 */
export function lineConfig(
  api: Libgpiod2Api, offset: number, settings: LineSettings | null, outputValue: Bit = 0,
): Owned<GpiodLineConfig> {
  const lineSettings = api.gpiod_line_settings_new();
  if (lineSettings === null) throw libgpiod2Error('gpiod_line_settings_new');
  try {
    if (settings !== null) fill(api, lineSettings, settings, outputValue);
    const config = api.gpiod_line_config_new();
    if (config === null) throw libgpiod2Error('gpiod_line_config_new');
    if (api.gpiod_line_config_add_line_settings(config, [offset], 1, lineSettings) < 0) {
      const error = libgpiod2Error('gpiod_line_config_add_line_settings');
      api.gpiod_line_config_free(config);
      throw error;
    }
    return { ptr: config, free: () => api.gpiod_line_config_free(config) };
  } finally {
    // The line config keeps its own copy.
    api.gpiod_line_settings_free(lineSettings);
  }
}

function fill(api: Libgpiod2Api, ls: GpiodLineSettings, s: LineSettings, outputValue: Bit): void {
  const output = s.direction === 'out';
  const check = (rc: number, what: string): void => {
    if (rc < 0) throw new GpioAggError('EINVAL', `libgpiod refused ${what} in ${JSON.stringify(s)}`);
  };
  check(api.gpiod_line_settings_set_direction(ls, output ? GPIOD_LINE_DIRECTION_OUTPUT : GPIOD_LINE_DIRECTION_INPUT), 'the direction');
  check(api.gpiod_line_settings_set_edge_detection(ls, EDGE_CODES[s.edge]), 'the edge');
  check(api.gpiod_line_settings_set_bias(ls, BIAS_CODES[s.bias]), 'the bias');
  check(api.gpiod_line_settings_set_drive(ls, output ? DRIVE_CODES[s.drive] : GPIOD_LINE_DRIVE_PUSH_PULL), 'the drive');
  api.gpiod_line_settings_set_active_low(ls, s.activeLow);
  api.gpiod_line_settings_set_debounce_period_us(ls, output ? 0 : s.debounceUs ?? 0);
  if (output) {
    check(api.gpiod_line_settings_set_output_value(ls, outputValue ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE), 'the output value');
  }
}

export { GPIOD_LINE_DIRECTION_AS_IS };
