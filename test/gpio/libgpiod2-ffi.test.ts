// The koffi declarations of libgpiod 2.x, against the real libgpiod.so.3 but
// without GPIO chips: they run on any machine that has the library.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import t from 'tap';
import {
  GPIOD_LINE_BIAS_AS_IS, GPIOD_LINE_BIAS_DISABLED, GPIOD_LINE_BIAS_PULL_DOWN, GPIOD_LINE_BIAS_PULL_UP,
  GPIOD_LINE_CLOCK_MONOTONIC, GPIOD_LINE_CLOCK_REALTIME,
  GPIOD_LINE_DIRECTION_AS_IS, GPIOD_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_OUTPUT,
  GPIOD_LINE_DRIVE_OPEN_DRAIN, GPIOD_LINE_DRIVE_OPEN_SOURCE, GPIOD_LINE_DRIVE_PUSH_PULL,
  GPIOD_LINE_EDGE_BOTH, GPIOD_LINE_EDGE_FALLING, GPIOD_LINE_EDGE_NONE, GPIOD_LINE_EDGE_RISING,
  GPIOD_LINE_VALUE_ACTIVE, GPIOD_LINE_VALUE_INACTIVE,
  libgpiod2Error, loadLibgpiod2,
} from '../../lib/gpio/libgpiod2-ffi.js';
import { libgpiod2ForTests } from '../helpers/libgpiod2.js';

const lib = await libgpiod2ForTests(t);
if (lib) {
  const { api } = lib;

  t.test('the library reports a 2.x version', async (t) => {
    t.match(lib.version, /^2\.\d+(\.\d+)?/);
    t.equal(api.gpiod_api_version(), lib.version);
    t.comment(`libgpiod ${lib.version} from ${lib.path}`);
  });

  t.test('line settings: defaults, and every setting reads back', async (t) => {
    const settings = api.gpiod_line_settings_new();
    if (settings === null) throw libgpiod2Error('gpiod_line_settings_new');
    t.teardown(() => api.gpiod_line_settings_free(settings));
    t.equal(api.gpiod_line_settings_get_direction(settings), GPIOD_LINE_DIRECTION_AS_IS);
    t.equal(api.gpiod_line_settings_get_edge_detection(settings), GPIOD_LINE_EDGE_NONE);
    t.equal(api.gpiod_line_settings_get_bias(settings), GPIOD_LINE_BIAS_AS_IS);
    t.equal(api.gpiod_line_settings_get_drive(settings), GPIOD_LINE_DRIVE_PUSH_PULL);
    t.equal(api.gpiod_line_settings_get_active_low(settings), false);
    t.equal(api.gpiod_line_settings_get_debounce_period_us(settings), 0);
    t.equal(api.gpiod_line_settings_get_event_clock(settings), GPIOD_LINE_CLOCK_MONOTONIC);
    t.equal(api.gpiod_line_settings_get_output_value(settings), GPIOD_LINE_VALUE_INACTIVE);

    for (const direction of [GPIOD_LINE_DIRECTION_INPUT, GPIOD_LINE_DIRECTION_OUTPUT, GPIOD_LINE_DIRECTION_AS_IS]) {
      t.equal(api.gpiod_line_settings_set_direction(settings, direction), 0);
      t.equal(api.gpiod_line_settings_get_direction(settings), direction, `direction ${direction}`);
    }
    for (const edge of [GPIOD_LINE_EDGE_RISING, GPIOD_LINE_EDGE_FALLING, GPIOD_LINE_EDGE_BOTH, GPIOD_LINE_EDGE_NONE]) {
      t.equal(api.gpiod_line_settings_set_edge_detection(settings, edge), 0);
      t.equal(api.gpiod_line_settings_get_edge_detection(settings), edge, `edge ${edge}`);
    }
    t.equal(GPIOD_LINE_EDGE_BOTH, 4, 'GPIOD_LINE_EDGE_BOTH as in gpiod.h');
    for (const bias of [GPIOD_LINE_BIAS_DISABLED, GPIOD_LINE_BIAS_PULL_UP, GPIOD_LINE_BIAS_PULL_DOWN, GPIOD_LINE_BIAS_AS_IS]) {
      t.equal(api.gpiod_line_settings_set_bias(settings, bias), 0);
      t.equal(api.gpiod_line_settings_get_bias(settings), bias, `bias ${bias}`);
    }
    for (const drive of [GPIOD_LINE_DRIVE_OPEN_DRAIN, GPIOD_LINE_DRIVE_OPEN_SOURCE, GPIOD_LINE_DRIVE_PUSH_PULL]) {
      t.equal(api.gpiod_line_settings_set_drive(settings, drive), 0);
      t.equal(api.gpiod_line_settings_get_drive(settings), drive, `drive ${drive}`);
    }
    api.gpiod_line_settings_set_active_low(settings, true);
    t.equal(api.gpiod_line_settings_get_active_low(settings), true);
    for (const period of [1, 10_000, 4_294_967_295]) {
      api.gpiod_line_settings_set_debounce_period_us(settings, period);
      t.equal(api.gpiod_line_settings_get_debounce_period_us(settings), period, `debounce ${period} µs`);
    }
    t.equal(api.gpiod_line_settings_set_event_clock(settings, GPIOD_LINE_CLOCK_REALTIME), 0);
    t.equal(api.gpiod_line_settings_get_event_clock(settings), GPIOD_LINE_CLOCK_REALTIME);
    t.equal(api.gpiod_line_settings_set_output_value(settings, GPIOD_LINE_VALUE_ACTIVE), 0);
    t.equal(api.gpiod_line_settings_get_output_value(settings), GPIOD_LINE_VALUE_ACTIVE);

    const copy = api.gpiod_line_settings_copy(settings);
    if (copy === null) throw libgpiod2Error('gpiod_line_settings_copy');
    t.equal(api.gpiod_line_settings_get_debounce_period_us(copy), 4_294_967_295, 'a copy keeps the settings');
    api.gpiod_line_settings_reset(copy);
    t.equal(api.gpiod_line_settings_get_debounce_period_us(copy), 0, 'reset clears them');
    api.gpiod_line_settings_free(copy);
  });

  t.test('out-of-range enum values are EINVAL and change nothing', async (t) => {
    const settings = api.gpiod_line_settings_new();
    if (settings === null) throw libgpiod2Error('gpiod_line_settings_new');
    t.teardown(() => api.gpiod_line_settings_free(settings));
    const refusals: [string, () => number, () => number, number][] = [
      ['direction', () => api.gpiod_line_settings_set_direction(settings, 99), () => api.gpiod_line_settings_get_direction(settings), GPIOD_LINE_DIRECTION_AS_IS],
      ['edge', () => api.gpiod_line_settings_set_edge_detection(settings, 0), () => api.gpiod_line_settings_get_edge_detection(settings), GPIOD_LINE_EDGE_NONE],
      ['bias', () => api.gpiod_line_settings_set_bias(settings, 42), () => api.gpiod_line_settings_get_bias(settings), GPIOD_LINE_BIAS_AS_IS],
      ['drive', () => api.gpiod_line_settings_set_drive(settings, 7), () => api.gpiod_line_settings_get_drive(settings), GPIOD_LINE_DRIVE_PUSH_PULL],
    ];
    for (const [what, set, get, unchanged] of refusals) {
      t.equal(set(), -1, `${what} refused`);
      t.equal(libgpiod2Error(what).code, 'EINVAL', `${what}: errno EINVAL through koffi.errno()`);
      t.equal(get(), unchanged, `${what} unchanged`);
    }
  });

  t.test('line config: settings per offset, read back', async (t) => {
    const config = api.gpiod_line_config_new();
    const settings = api.gpiod_line_settings_new();
    if (config === null || settings === null) throw libgpiod2Error('allocating a line config');
    t.teardown(() => {
      api.gpiod_line_config_free(config);
      api.gpiod_line_settings_free(settings);
    });
    api.gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_INPUT);
    api.gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_FALLING);
    api.gpiod_line_settings_set_debounce_period_us(settings, 2500);
    t.equal(api.gpiod_line_config_add_line_settings(config, [3, 5], 2, settings), 0);
    api.gpiod_line_settings_set_direction(settings, GPIOD_LINE_DIRECTION_OUTPUT);
    api.gpiod_line_settings_set_edge_detection(settings, GPIOD_LINE_EDGE_NONE);
    api.gpiod_line_settings_set_debounce_period_us(settings, 0);
    t.equal(api.gpiod_line_config_add_line_settings(config, new Uint32Array([7]), 1, settings), 0);
    t.equal(api.gpiod_line_config_get_num_configured_offsets(config), 3);
    const offsets = new Uint32Array(8);
    t.equal(api.gpiod_line_config_get_configured_offsets(config, offsets, offsets.length), 3);
    t.same([...offsets.subarray(0, 3)].sort(), [3, 5, 7]);

    const five = api.gpiod_line_config_get_line_settings(config, 5);
    if (five === null) throw libgpiod2Error('settings of offset 5');
    t.equal(api.gpiod_line_settings_get_direction(five), GPIOD_LINE_DIRECTION_INPUT);
    t.equal(api.gpiod_line_settings_get_edge_detection(five), GPIOD_LINE_EDGE_FALLING);
    t.equal(api.gpiod_line_settings_get_debounce_period_us(five), 2500);
    api.gpiod_line_settings_free(five);
    const seven = api.gpiod_line_config_get_line_settings(config, 7);
    if (seven === null) throw libgpiod2Error('settings of offset 7');
    t.equal(api.gpiod_line_settings_get_direction(seven), GPIOD_LINE_DIRECTION_OUTPUT);
    api.gpiod_line_settings_free(seven);

    t.equal(api.gpiod_line_config_get_line_settings(config, 4), null, 'an offset not configured');
    t.equal(libgpiod2Error('offset 4').code, 'ENOENT');

    t.equal(api.gpiod_line_config_set_output_values(config, [GPIOD_LINE_VALUE_ACTIVE], 1), 0);
    api.gpiod_line_config_reset(config);
    t.equal(api.gpiod_line_config_get_num_configured_offsets(config), 0, 'reset empties it');
  });

  t.test('request config and edge event buffer', async (t) => {
    const request = api.gpiod_request_config_new();
    if (request === null) throw libgpiod2Error('gpiod_request_config_new');
    t.teardown(() => api.gpiod_request_config_free(request));
    t.equal(api.gpiod_request_config_get_consumer(request), null, 'no consumer by default');
    api.gpiod_request_config_set_consumer(request, 'gpio-aggfs');
    t.equal(api.gpiod_request_config_get_consumer(request), 'gpio-aggfs');
    api.gpiod_request_config_set_event_buffer_size(request, 64);
    t.equal(api.gpiod_request_config_get_event_buffer_size(request), 64);

    const buffer = api.gpiod_edge_event_buffer_new(32);
    if (buffer === null) throw libgpiod2Error('gpiod_edge_event_buffer_new');
    t.teardown(() => api.gpiod_edge_event_buffer_free(buffer));
    t.equal(api.gpiod_edge_event_buffer_get_capacity(buffer), 32);
    t.equal(api.gpiod_edge_event_buffer_get_num_events(buffer), 0);
    t.equal(api.gpiod_edge_event_buffer_get_event(buffer, 0), null, 'no event in an empty buffer');
    t.equal(libgpiod2Error('event 0').code, 'EINVAL');
  });

  t.test('chip errors carry libgpiod\'s errno through koffi.errno()', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'libgpiod2-ffi-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const plain = join(dir, 'not-a-chip');
    closeSync(openSync(plain, 'w'));

    t.equal(api.gpiod_chip_open(join(dir, 'missing')), null);
    t.equal(libgpiod2Error('missing').code, 'ENOENT', 'missing path: ENOENT');
    t.equal(api.gpiod_chip_open(plain), null);
    t.equal(libgpiod2Error('regular file').code, 'ENOTTY', 'a regular file: ENOTTY');
    t.equal(api.gpiod_chip_open('/dev/null'), null);
    t.equal(libgpiod2Error('/dev/null').code, 'ENODEV', 'a character device that is no GPIO chip: ENODEV');
    t.equal(api.gpiod_chip_open(dir), null);
    t.equal(libgpiod2Error('directory').code, 'ENOTTY', 'a directory: ENOTTY');
    t.equal(api.gpiod_is_gpiochip_device('/dev/null'), false);
    t.equal(api.gpiod_is_gpiochip_device(plain), false);
    t.equal(api.gpiod_is_gpiochip_device(join(dir, 'missing')), false);
  });

  t.test('errno mapping', async (t) => {
    t.equal(libgpiod2Error('x', 16).code, 'EBUSY');
    t.equal(libgpiod2Error('x', 19).code, 'ENODEV');
    t.equal(libgpiod2Error('x', 95).code, 'EOPNOTSUPP');
    t.equal(libgpiod2Error('x', 524).code, 'EOPNOTSUPP', "the kernel's internal ENOTSUPP");
    t.equal(libgpiod2Error('x', 25).code, 'ENOTTY');
    t.equal(libgpiod2Error('x', 18).code, 'EIO', 'an errno without a name here (EXDEV) becomes EIO');
    t.match(libgpiod2Error('opening /x', 18).message, /^opening \/x: EXDEV$/);
    koffi.errno(16);
    t.equal(libgpiod2Error('x').code, 'EBUSY', 'reads the errno the last call left');
  });

  t.test('loading: a missing library is ENOENT, one that is not libgpiod 2.x EINVAL', async (t) => {
    t.throws(() => loadLibgpiod2('/nonexistent/libgpiod.so.3'), { name: 'GpioAggError', code: 'ENOENT' });
    t.throws(() => loadLibgpiod2('libc.so.6'), { name: 'GpioAggError', code: 'EINVAL', message: /not libgpiod 2\.x/ });
    t.equal(loadLibgpiod2(lib.path).version, lib.version, 'loading again gives the same library');
  });
}
