/**
 * libgpiod 2.x (`libgpiod.so.3`) through koffi: the C API of gpiod.h as
 * libgpiod 2.2.1 declares it, with the header's names. Every prototype and
 * enum constant below is copied from the header; the number next to it is
 * the line of gpiod.h (libgpiod 2.2.1) it comes from. koffi's prototype
 * parser knows no `struct`/`enum` keywords: the objects are registered as
 * opaque types and the enums as `int` under their own names, and the
 * keywords are dropped when a prototype is bound.
 *
 * Errors: libgpiod returns NULL or -1 and sets errno; `libgpiod2Error()`
 * turns that errno into a GpioAggError and must be called right after the
 * failing call.
 */
import { constants } from 'node:os';
import koffi, { type LibraryHandle } from 'koffi';
import { GpioAggError, errnoName } from '../errors.js';

/** The shared object of libgpiod 2.x (ABI version 3). */
export const LIBGPIOD2_SONAME = 'libgpiod.so.3';

declare const opaque: unique symbol;
/** A pointer to a libgpiod object that only libgpiod looks into. */
type Opaque<Name extends string> = { readonly [opaque]: Name };

export type GpiodChip = Opaque<'gpiod_chip'>; // gpiod.h:27 struct gpiod_chip;
export type GpiodChipInfo = Opaque<'gpiod_chip_info'>; // gpiod.h:37 struct gpiod_chip_info;
export type GpiodLineInfo = Opaque<'gpiod_line_info'>; // gpiod.h:47 struct gpiod_line_info;
export type GpiodLineSettings = Opaque<'gpiod_line_settings'>; // gpiod.h:58 struct gpiod_line_settings;
export type GpiodLineConfig = Opaque<'gpiod_line_config'>; // gpiod.h:68 struct gpiod_line_config;
export type GpiodRequestConfig = Opaque<'gpiod_request_config'>; // gpiod.h:79 struct gpiod_request_config;
export type GpiodLineRequest = Opaque<'gpiod_line_request'>; // gpiod.h:90 struct gpiod_line_request;
export type GpiodInfoEvent = Opaque<'gpiod_info_event'>; // gpiod.h:100 struct gpiod_info_event;
export type GpiodEdgeEvent = Opaque<'gpiod_edge_event'>; // gpiod.h:110 struct gpiod_edge_event;
export type GpiodEdgeEventBuffer = Opaque<'gpiod_edge_event_buffer'>; // gpiod.h:121 struct gpiod_edge_event_buffer;

const OPAQUE_TYPES = [
  'gpiod_chip',
  'gpiod_chip_info',
  'gpiod_line_info',
  'gpiod_line_settings',
  'gpiod_line_config',
  'gpiod_request_config',
  'gpiod_line_request',
  'gpiod_info_event',
  'gpiod_edge_event',
  'gpiod_edge_event_buffer',
] as const;

/** The enums of gpiod.h, passed as `int`. */
const ENUM_TYPES = [
  'gpiod_line_value',
  'gpiod_line_direction',
  'gpiod_line_edge',
  'gpiod_line_bias',
  'gpiod_line_drive',
  'gpiod_line_clock',
  'gpiod_info_event_type',
  'gpiod_edge_event_type',
] as const;

// gpiod.h:317 enum gpiod_line_value {
export const GPIOD_LINE_VALUE_ERROR = -1; // gpiod.h:318 GPIOD_LINE_VALUE_ERROR = -1,
export const GPIOD_LINE_VALUE_INACTIVE = 0; // gpiod.h:320 GPIOD_LINE_VALUE_INACTIVE = 0,
export const GPIOD_LINE_VALUE_ACTIVE = 1; // gpiod.h:322 GPIOD_LINE_VALUE_ACTIVE = 1,

// gpiod.h:329 enum gpiod_line_direction {
export const GPIOD_LINE_DIRECTION_AS_IS = 1; // gpiod.h:330 GPIOD_LINE_DIRECTION_AS_IS = 1,
export const GPIOD_LINE_DIRECTION_INPUT = 2; // gpiod.h:332 GPIOD_LINE_DIRECTION_INPUT,
export const GPIOD_LINE_DIRECTION_OUTPUT = 3; // gpiod.h:335 GPIOD_LINE_DIRECTION_OUTPUT,

// gpiod.h:342 enum gpiod_line_edge {
export const GPIOD_LINE_EDGE_NONE = 1; // gpiod.h:343 GPIOD_LINE_EDGE_NONE = 1,
export const GPIOD_LINE_EDGE_RISING = 2; // gpiod.h:345 GPIOD_LINE_EDGE_RISING,
export const GPIOD_LINE_EDGE_FALLING = 3; // gpiod.h:347 GPIOD_LINE_EDGE_FALLING,
export const GPIOD_LINE_EDGE_BOTH = 4; // gpiod.h:349 GPIOD_LINE_EDGE_BOTH,

// gpiod.h:356 enum gpiod_line_bias {
export const GPIOD_LINE_BIAS_AS_IS = 1; // gpiod.h:357 GPIOD_LINE_BIAS_AS_IS = 1,
export const GPIOD_LINE_BIAS_UNKNOWN = 2; // gpiod.h:359 GPIOD_LINE_BIAS_UNKNOWN,
export const GPIOD_LINE_BIAS_DISABLED = 3; // gpiod.h:361 GPIOD_LINE_BIAS_DISABLED,
export const GPIOD_LINE_BIAS_PULL_UP = 4; // gpiod.h:363 GPIOD_LINE_BIAS_PULL_UP,
export const GPIOD_LINE_BIAS_PULL_DOWN = 5; // gpiod.h:365 GPIOD_LINE_BIAS_PULL_DOWN,

// gpiod.h:372 enum gpiod_line_drive {
export const GPIOD_LINE_DRIVE_PUSH_PULL = 1; // gpiod.h:373 GPIOD_LINE_DRIVE_PUSH_PULL = 1,
export const GPIOD_LINE_DRIVE_OPEN_DRAIN = 2; // gpiod.h:375 GPIOD_LINE_DRIVE_OPEN_DRAIN,
export const GPIOD_LINE_DRIVE_OPEN_SOURCE = 3; // gpiod.h:377 GPIOD_LINE_DRIVE_OPEN_SOURCE,

// gpiod.h:384 enum gpiod_line_clock {
export const GPIOD_LINE_CLOCK_MONOTONIC = 1; // gpiod.h:385 GPIOD_LINE_CLOCK_MONOTONIC = 1,
export const GPIOD_LINE_CLOCK_REALTIME = 2; // gpiod.h:387 GPIOD_LINE_CLOCK_REALTIME,
export const GPIOD_LINE_CLOCK_HTE = 3; // gpiod.h:389 GPIOD_LINE_CLOCK_HTE,

// gpiod.h:561 enum gpiod_info_event_type {
export const GPIOD_INFO_EVENT_LINE_REQUESTED = 1; // gpiod.h:562 GPIOD_INFO_EVENT_LINE_REQUESTED = 1,
export const GPIOD_INFO_EVENT_LINE_RELEASED = 2; // gpiod.h:564 GPIOD_INFO_EVENT_LINE_RELEASED,
export const GPIOD_INFO_EVENT_LINE_CONFIG_CHANGED = 3; // gpiod.h:566 GPIOD_INFO_EVENT_LINE_CONFIG_CHANGED,

// gpiod.h:1179 enum gpiod_edge_event_type {
export const GPIOD_EDGE_EVENT_RISING_EDGE = 1; // gpiod.h:1180 GPIOD_EDGE_EVENT_RISING_EDGE = 1,
export const GPIOD_EDGE_EVENT_FALLING_EDGE = 2; // gpiod.h:1182 GPIOD_EDGE_EVENT_FALLING_EDGE,

/** The functions of gpiod.h, as typed through koffi. */
export interface Libgpiod2Api {
  gpiod_chip_open(path: string): GpiodChip | null;
  gpiod_chip_close(chip: GpiodChip): void;
  gpiod_chip_get_info(chip: GpiodChip): GpiodChipInfo | null;
  gpiod_chip_get_path(chip: GpiodChip): string | null;
  gpiod_chip_get_line_info(chip: GpiodChip, offset: number): GpiodLineInfo | null;
  gpiod_chip_watch_line_info(chip: GpiodChip, offset: number): GpiodLineInfo | null;
  gpiod_chip_unwatch_line_info(chip: GpiodChip, offset: number): number;
  gpiod_chip_get_fd(chip: GpiodChip): number;
  gpiod_chip_wait_info_event(chip: GpiodChip, timeout_ns: number | bigint): number;
  gpiod_chip_read_info_event(chip: GpiodChip): GpiodInfoEvent | null;
  gpiod_chip_get_line_offset_from_name(chip: GpiodChip, name: string): number;
  gpiod_chip_request_lines(chip: GpiodChip, req_cfg: GpiodRequestConfig, line_cfg: GpiodLineConfig): GpiodLineRequest | null;
  gpiod_chip_info_free(info: GpiodChipInfo): void;
  gpiod_chip_info_get_name(info: GpiodChipInfo): string | null;
  gpiod_chip_info_get_label(info: GpiodChipInfo): string | null;
  gpiod_chip_info_get_num_lines(info: GpiodChipInfo): number;
  gpiod_line_info_free(info: GpiodLineInfo): void;
  gpiod_line_info_copy(info: GpiodLineInfo): GpiodLineInfo | null;
  gpiod_line_info_get_offset(info: GpiodLineInfo): number;
  gpiod_line_info_get_name(info: GpiodLineInfo): string | null;
  gpiod_line_info_is_used(info: GpiodLineInfo): boolean;
  gpiod_line_info_get_consumer(info: GpiodLineInfo): string | null;
  gpiod_line_info_get_direction(info: GpiodLineInfo): number;
  gpiod_line_info_get_edge_detection(info: GpiodLineInfo): number;
  gpiod_line_info_get_bias(info: GpiodLineInfo): number;
  gpiod_line_info_get_drive(info: GpiodLineInfo): number;
  gpiod_line_info_is_active_low(info: GpiodLineInfo): boolean;
  gpiod_line_info_is_debounced(info: GpiodLineInfo): boolean;
  gpiod_line_info_get_debounce_period_us(info: GpiodLineInfo): number;
  gpiod_line_info_get_event_clock(info: GpiodLineInfo): number;
  gpiod_info_event_free(event: GpiodInfoEvent): void;
  gpiod_info_event_get_event_type(event: GpiodInfoEvent): number;
  gpiod_info_event_get_timestamp_ns(event: GpiodInfoEvent): number | bigint;
  gpiod_info_event_get_line_info(event: GpiodInfoEvent): GpiodLineInfo | null;
  gpiod_line_settings_new(): GpiodLineSettings | null;
  gpiod_line_settings_free(settings: GpiodLineSettings): void;
  gpiod_line_settings_reset(settings: GpiodLineSettings): void;
  gpiod_line_settings_copy(settings: GpiodLineSettings): GpiodLineSettings | null;
  gpiod_line_settings_set_direction(settings: GpiodLineSettings, direction: number): number;
  gpiod_line_settings_get_direction(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_edge_detection(settings: GpiodLineSettings, edge: number): number;
  gpiod_line_settings_get_edge_detection(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_bias(settings: GpiodLineSettings, bias: number): number;
  gpiod_line_settings_get_bias(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_drive(settings: GpiodLineSettings, drive: number): number;
  gpiod_line_settings_get_drive(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_active_low(settings: GpiodLineSettings, active_low: boolean): void;
  gpiod_line_settings_get_active_low(settings: GpiodLineSettings): boolean;
  gpiod_line_settings_set_debounce_period_us(settings: GpiodLineSettings, period: number): void;
  gpiod_line_settings_get_debounce_period_us(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_event_clock(settings: GpiodLineSettings, event_clock: number): number;
  gpiod_line_settings_get_event_clock(settings: GpiodLineSettings): number;
  gpiod_line_settings_set_output_value(settings: GpiodLineSettings, value: number): number;
  gpiod_line_settings_get_output_value(settings: GpiodLineSettings): number;
  gpiod_line_config_new(): GpiodLineConfig | null;
  gpiod_line_config_free(config: GpiodLineConfig): void;
  gpiod_line_config_reset(config: GpiodLineConfig): void;
  gpiod_line_config_add_line_settings(config: GpiodLineConfig, offsets: readonly number[] | Uint32Array, num_offsets: number, settings: GpiodLineSettings): number;
  gpiod_line_config_get_line_settings(config: GpiodLineConfig, offset: number): GpiodLineSettings | null;
  gpiod_line_config_set_output_values(config: GpiodLineConfig, values: readonly number[] | Int32Array, num_values: number): number;
  gpiod_line_config_get_num_configured_offsets(config: GpiodLineConfig): number;
  gpiod_line_config_get_configured_offsets(config: GpiodLineConfig, offsets: Uint32Array, max_offsets: number): number;
  gpiod_request_config_new(): GpiodRequestConfig | null;
  gpiod_request_config_free(config: GpiodRequestConfig): void;
  gpiod_request_config_set_consumer(config: GpiodRequestConfig, consumer: string): void;
  gpiod_request_config_get_consumer(config: GpiodRequestConfig): string | null;
  gpiod_request_config_set_event_buffer_size(config: GpiodRequestConfig, event_buffer_size: number): void;
  gpiod_request_config_get_event_buffer_size(config: GpiodRequestConfig): number;
  gpiod_line_request_release(request: GpiodLineRequest): void;
  gpiod_line_request_get_chip_name(request: GpiodLineRequest): string | null;
  gpiod_line_request_get_num_requested_lines(request: GpiodLineRequest): number;
  gpiod_line_request_get_requested_offsets(request: GpiodLineRequest, offsets: Uint32Array, max_offsets: number): number;
  gpiod_line_request_get_value(request: GpiodLineRequest, offset: number): number;
  gpiod_line_request_get_values_subset(request: GpiodLineRequest, num_values: number, offsets: readonly number[] | Uint32Array, values: Int32Array): number;
  gpiod_line_request_get_values(request: GpiodLineRequest, values: Int32Array): number;
  gpiod_line_request_set_value(request: GpiodLineRequest, offset: number, value: number): number;
  gpiod_line_request_set_values_subset(request: GpiodLineRequest, num_values: number, offsets: readonly number[] | Uint32Array, values: readonly number[] | Int32Array): number;
  gpiod_line_request_set_values(request: GpiodLineRequest, values: readonly number[] | Int32Array): number;
  gpiod_line_request_reconfigure_lines(request: GpiodLineRequest, config: GpiodLineConfig): number;
  gpiod_line_request_get_fd(request: GpiodLineRequest): number;
  gpiod_line_request_wait_edge_events(request: GpiodLineRequest, timeout_ns: number | bigint): number;
  gpiod_line_request_read_edge_events(request: GpiodLineRequest, buffer: GpiodEdgeEventBuffer, max_events: number): number;
  gpiod_edge_event_free(event: GpiodEdgeEvent): void;
  gpiod_edge_event_copy(event: GpiodEdgeEvent): GpiodEdgeEvent | null;
  gpiod_edge_event_get_event_type(event: GpiodEdgeEvent): number;
  gpiod_edge_event_get_timestamp_ns(event: GpiodEdgeEvent): number | bigint;
  gpiod_edge_event_get_line_offset(event: GpiodEdgeEvent): number;
  gpiod_edge_event_get_global_seqno(event: GpiodEdgeEvent): number;
  gpiod_edge_event_get_line_seqno(event: GpiodEdgeEvent): number;
  gpiod_edge_event_buffer_new(capacity: number): GpiodEdgeEventBuffer | null;
  gpiod_edge_event_buffer_get_capacity(buffer: GpiodEdgeEventBuffer): number;
  gpiod_edge_event_buffer_free(buffer: GpiodEdgeEventBuffer): void;
  gpiod_edge_event_buffer_get_event(buffer: GpiodEdgeEventBuffer, index: number): GpiodEdgeEvent | null;
  gpiod_edge_event_buffer_get_num_events(buffer: GpiodEdgeEventBuffer): number;
  gpiod_is_gpiochip_device(path: string): boolean;
  gpiod_api_version(): string | null;
}

/** [line in gpiod.h, prototype as declared there (whitespace joined)]. */
const PROTOTYPES: readonly (readonly [number, string])[] = [
  [141, 'struct gpiod_chip *gpiod_chip_open(const char *path);'],
  [147, 'void gpiod_chip_close(struct gpiod_chip *chip);'],
  [155, 'struct gpiod_chip_info *gpiod_chip_get_info(struct gpiod_chip *chip);'],
  [164, 'const char *gpiod_chip_get_path(struct gpiod_chip *chip);'],
  [173, 'struct gpiod_line_info *gpiod_chip_get_line_info(struct gpiod_chip *chip, unsigned int offset);'],
  [186, 'struct gpiod_line_info *gpiod_chip_watch_line_info(struct gpiod_chip *chip, unsigned int offset);'],
  [195, 'int gpiod_chip_unwatch_line_info(struct gpiod_chip *chip, unsigned int offset);'],
  [206, 'int gpiod_chip_get_fd(struct gpiod_chip *chip);'],
  [219, 'int gpiod_chip_wait_info_event(struct gpiod_chip *chip, int64_t timeout_ns);'],
  [228, 'struct gpiod_info_event *gpiod_chip_read_info_event(struct gpiod_chip *chip);'],
  [238, 'int gpiod_chip_get_line_offset_from_name(struct gpiod_chip *chip, const char *name);'],
  [249, 'struct gpiod_line_request * gpiod_chip_request_lines(struct gpiod_chip *chip, struct gpiod_request_config *req_cfg, struct gpiod_line_config *line_cfg);'],
  [278, 'void gpiod_chip_info_free(struct gpiod_chip_info *info);'],
  [287, 'const char *gpiod_chip_info_get_name(struct gpiod_chip_info *info);'],
  [296, 'const char *gpiod_chip_info_get_label(struct gpiod_chip_info *info);'],
  [303, 'size_t gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info);'],
  [419, 'void gpiod_line_info_free(struct gpiod_line_info *info);'],
  [427, 'struct gpiod_line_info *gpiod_line_info_copy(struct gpiod_line_info *info);'],
  [437, 'unsigned int gpiod_line_info_get_offset(struct gpiod_line_info *info);'],
  [447, 'const char *gpiod_line_info_get_name(struct gpiod_line_info *info);'],
  [459, 'bool gpiod_line_info_is_used(struct gpiod_line_info *info);'],
  [470, 'const char *gpiod_line_info_get_consumer(struct gpiod_line_info *info);'],
  [478, 'enum gpiod_line_direction gpiod_line_info_get_direction(struct gpiod_line_info *info);'],
  [487, 'enum gpiod_line_edge gpiod_line_info_get_edge_detection(struct gpiod_line_info *info);'],
  [496, 'enum gpiod_line_bias gpiod_line_info_get_bias(struct gpiod_line_info *info);'],
  [505, 'enum gpiod_line_drive gpiod_line_info_get_drive(struct gpiod_line_info *info);'],
  [514, 'bool gpiod_line_info_is_active_low(struct gpiod_line_info *info);'],
  [522, 'bool gpiod_line_info_is_debounced(struct gpiod_line_info *info);'],
  [530, 'unsigned long gpiod_line_info_get_debounce_period_us(struct gpiod_line_info *info);'],
  [540, 'enum gpiod_line_clock gpiod_line_info_get_event_clock(struct gpiod_line_info *info);'],
  [574, 'void gpiod_info_event_free(struct gpiod_info_event *event);'],
  [583, 'enum gpiod_info_event_type gpiod_info_event_get_event_type(struct gpiod_info_event *event);'],
  [591, 'uint64_t gpiod_info_event_get_timestamp_ns(struct gpiod_info_event *event);'],
  [606, 'struct gpiod_line_info * gpiod_info_event_get_line_info(struct gpiod_info_event *event);'],
  [631, 'struct gpiod_line_settings *gpiod_line_settings_new(void);'],
  [637, 'void gpiod_line_settings_free(struct gpiod_line_settings *settings);'],
  [643, 'void gpiod_line_settings_reset(struct gpiod_line_settings *settings);'],
  [651, 'struct gpiod_line_settings * gpiod_line_settings_copy(struct gpiod_line_settings *settings);'],
  [660, 'int gpiod_line_settings_set_direction(struct gpiod_line_settings *settings, enum gpiod_line_direction direction);'],
  [668, 'enum gpiod_line_direction gpiod_line_settings_get_direction(struct gpiod_line_settings *settings);'],
  [677, 'int gpiod_line_settings_set_edge_detection(struct gpiod_line_settings *settings, enum gpiod_line_edge edge);'],
  [685, 'enum gpiod_line_edge gpiod_line_settings_get_edge_detection(struct gpiod_line_settings *settings);'],
  [694, 'int gpiod_line_settings_set_bias(struct gpiod_line_settings *settings, enum gpiod_line_bias bias);'],
  [702, 'enum gpiod_line_bias gpiod_line_settings_get_bias(struct gpiod_line_settings *settings);'],
  [711, 'int gpiod_line_settings_set_drive(struct gpiod_line_settings *settings, enum gpiod_line_drive drive);'],
  [719, 'enum gpiod_line_drive gpiod_line_settings_get_drive(struct gpiod_line_settings *settings);'],
  [727, 'void gpiod_line_settings_set_active_low(struct gpiod_line_settings *settings, bool active_low);'],
  [735, 'bool gpiod_line_settings_get_active_low(struct gpiod_line_settings *settings);'],
  [742, 'void gpiod_line_settings_set_debounce_period_us(struct gpiod_line_settings *settings, unsigned long period);'],
  [751, 'unsigned long gpiod_line_settings_get_debounce_period_us(struct gpiod_line_settings *settings);'],
  [761, 'int gpiod_line_settings_set_event_clock(struct gpiod_line_settings *settings, enum gpiod_line_clock event_clock);'],
  [769, 'enum gpiod_line_clock gpiod_line_settings_get_event_clock(struct gpiod_line_settings *settings);'],
  [778, 'int gpiod_line_settings_set_output_value(struct gpiod_line_settings *settings, enum gpiod_line_value value);'],
  [786, 'enum gpiod_line_value gpiod_line_settings_get_output_value(struct gpiod_line_settings *settings);'],
  [817, 'struct gpiod_line_config *gpiod_line_config_new(void);'],
  [823, 'void gpiod_line_config_free(struct gpiod_line_config *config);'],
  [832, 'void gpiod_line_config_reset(struct gpiod_line_config *config);'],
  [842, 'int gpiod_line_config_add_line_settings(struct gpiod_line_config *config, const unsigned int *offsets, size_t num_offsets, struct gpiod_line_settings *settings);'],
  [854, 'struct gpiod_line_settings * gpiod_line_config_get_line_settings(struct gpiod_line_config *config, unsigned int offset);'],
  [879, 'int gpiod_line_config_set_output_values(struct gpiod_line_config *config, const enum gpiod_line_value *values, size_t num_values);'],
  [888, 'size_t gpiod_line_config_get_num_configured_offsets(struct gpiod_line_config *config);'],
  [902, 'size_t gpiod_line_config_get_configured_offsets(struct gpiod_line_config *config, unsigned int *offsets, size_t max_offsets);'],
  [926, 'struct gpiod_request_config *gpiod_request_config_new(void);'],
  [932, 'void gpiod_request_config_free(struct gpiod_request_config *config);'],
  [941, 'void gpiod_request_config_set_consumer(struct gpiod_request_config *config, const char *consumer);'],
  [949, 'const char * gpiod_request_config_get_consumer(struct gpiod_request_config *config);'],
  [961, 'void gpiod_request_config_set_event_buffer_size(struct gpiod_request_config *config, size_t event_buffer_size);'],
  [970, 'size_t gpiod_request_config_get_event_buffer_size(struct gpiod_request_config *config);'],
  [986, 'void gpiod_line_request_release(struct gpiod_line_request *request);'],
  [994, 'const char * gpiod_line_request_get_chip_name(struct gpiod_line_request *request);'],
  [1002, 'size_t gpiod_line_request_get_num_requested_lines(struct gpiod_line_request *request);'],
  [1016, 'size_t gpiod_line_request_get_requested_offsets(struct gpiod_line_request *request, unsigned int *offsets, size_t max_offsets);'],
  [1027, 'enum gpiod_line_value gpiod_line_request_get_value(struct gpiod_line_request *request, unsigned int offset);'],
  [1042, 'int gpiod_line_request_get_values_subset(struct gpiod_line_request *request, size_t num_values, const unsigned int *offsets, enum gpiod_line_value *values);'],
  [1058, 'int gpiod_line_request_get_values(struct gpiod_line_request *request, enum gpiod_line_value *values);'],
  [1068, 'int gpiod_line_request_set_value(struct gpiod_line_request *request, unsigned int offset, enum gpiod_line_value value);'],
  [1084, 'int gpiod_line_request_set_values_subset(struct gpiod_line_request *request, size_t num_values, const unsigned int *offsets, const enum gpiod_line_value *values);'],
  [1100, 'int gpiod_line_request_set_values(struct gpiod_line_request *request, const enum gpiod_line_value *values);'],
  [1114, 'int gpiod_line_request_reconfigure_lines(struct gpiod_line_request *request, struct gpiod_line_config *config);'],
  [1125, 'int gpiod_line_request_get_fd(struct gpiod_line_request *request);'],
  [1140, 'int gpiod_line_request_wait_edge_events(struct gpiod_line_request *request, int64_t timeout_ns);'],
  [1154, 'int gpiod_line_request_read_edge_events(struct gpiod_line_request *request, struct gpiod_edge_event_buffer *buffer, size_t max_events);'],
  [1190, 'void gpiod_edge_event_free(struct gpiod_edge_event *event);'],
  [1198, 'struct gpiod_edge_event *gpiod_edge_event_copy(struct gpiod_edge_event *event);'],
  [1206, 'enum gpiod_edge_event_type gpiod_edge_event_get_event_type(struct gpiod_edge_event *event);'],
  [1216, 'uint64_t gpiod_edge_event_get_timestamp_ns(struct gpiod_edge_event *event);'],
  [1223, 'unsigned int gpiod_edge_event_get_line_offset(struct gpiod_edge_event *event);'],
  [1231, 'unsigned long gpiod_edge_event_get_global_seqno(struct gpiod_edge_event *event);'],
  [1239, 'unsigned long gpiod_edge_event_get_line_seqno(struct gpiod_edge_event *event);'],
  [1253, 'struct gpiod_edge_event_buffer * gpiod_edge_event_buffer_new(size_t capacity);'],
  [1262, 'size_t gpiod_edge_event_buffer_get_capacity(struct gpiod_edge_event_buffer *buffer);'],
  [1269, 'void gpiod_edge_event_buffer_free(struct gpiod_edge_event_buffer *buffer);'],
  [1285, 'struct gpiod_edge_event * gpiod_edge_event_buffer_get_event(struct gpiod_edge_event_buffer *buffer, unsigned long index);'],
  [1294, 'size_t gpiod_edge_event_buffer_get_num_events(struct gpiod_edge_event_buffer *buffer);'],
  [1312, 'bool gpiod_is_gpiochip_device(const char *path);'],
  [1320, 'const char *gpiod_api_version(void);'],
];

/** One loaded libgpiod 2.x: its API, where it was loaded from and the version it reports. */
export interface Libgpiod2 {
  readonly api: Libgpiod2Api;
  /** The path or soname it was loaded by. */
  readonly path: string;
  /** gpiod_api_version(), e.g. "2.2.1". */
  readonly version: string;
}

// koffi keeps named types in one registry per process: declare them once, when this module loads.
for (const name of OPAQUE_TYPES) koffi.opaque(name);
for (const name of ENUM_TYPES) koffi.alias(name, 'int');

/**
 * Load libgpiod 2.x from `path` (a soname searched like dlopen does, or a
 * file path) and bind every function of gpiod.h. ENOENT when it cannot be
 * loaded, EINVAL when it is not libgpiod 2.x.
 */
export function loadLibgpiod2(path: string = LIBGPIOD2_SONAME): Libgpiod2 {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (err) {
    throw new GpioAggError('ENOENT', `cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const api: Record<string, unknown> = {};
  try {
    for (const [, prototype] of PROTOTYPES) {
      const fn = lib.func(prototype.replace(/\b(struct|enum) /g, ''));
      api[fn.info.name] = fn;
    }
  } catch (err) {
    lib.unload();
    throw new GpioAggError('EINVAL', `${path} is not libgpiod 2.x: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const bound = api as unknown as Libgpiod2Api;
  const version = bound.gpiod_api_version() ?? '';
  if (!/^2\./.test(version)) {
    throw new GpioAggError('EINVAL', `${path} reports libgpiod ${JSON.stringify(version)}, not 2.x`);
  }
  return { api: bound, path, version };
}

/** Linux's internal ENOTSUPP, which drivers can leak. */
const KERNEL_ENOTSUPP = 524;

/**
 * The errno libgpiod just set, as the GpioAggError gpio-aggfs reports
 * (ENOTSUPP becomes EOPNOTSUPP; an errno gpio-aggfs has no name for, EIO
 * with the system's name in the message).
 */
export function libgpiod2Error(context: string, errno: number = koffi.errno()): GpioAggError {
  const known = errno === KERNEL_ENOTSUPP ? 'EOPNOTSUPP' : errnoName(errno);
  const system = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
  return new GpioAggError(known ?? 'EIO', `${context}: ${system}`);
}
