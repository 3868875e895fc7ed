import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import { EDGES, type Bit, type Edge, type EdgeListener, type LineHandle, type LineSettings } from '../gpio/backend.js';
import { parseChoice, parseKernelLong } from '../aggregator/sysfs-input.js';

const log = createDebug('gpio-aggfs:sysfs:line');

/**
 * One line as `/sys/class/gpio/gpioN/` shows it: value, direction, edge and
 * active_low with the semantics of Linux 6.1's drivers/gpio/gpiolib-sysfs.c,
 * on a held backend line.
 *
 * Where the kernel's sysfs is more permissive than the GPIO character device
 * the difference is bridged here: sysfs drives a line whose edge interrupt
 * is set up (direction_store() uses gpiod_direction_output_raw(), which does
 * not check FLAG_USED_AS_IRQ) and keeps showing that edge, while a uAPI
 * request cannot detect edges on an output. So the edge chosen through sysfs
 * is remembered while the line is an output and set up again when it becomes
 * an input — which is when gpio-sim's interrupt would fire again.
 */
export class SysfsLine {
  /** The edge sysfs shows while the line is an output; undefined for an input. */
  private edgeWhileOutput: Edge | undefined;

  constructor(readonly handle: LineHandle) {}

  get source(): string { return `${this.handle.chip.name} ${this.handle.offset}`; }

  value(): Bit { return this.handle.getValue(); }
  direction(): 'in' | 'out' { return this.handle.settings().direction; }
  activeLow(): boolean { return this.handle.settings().activeLow; }

  edge(): Edge {
    const settings = this.handle.settings();
    if (settings.direction === 'in') {
      this.edgeWhileOutput = undefined;
      return settings.edge;
    }
    return this.edgeWhileOutput ?? 'none';
  }

  /** value_store(): kstrtol first, but an input answers EPERM whatever was written. */
  writeValue(input: string): void {
    let parsed: bigint | GpioAggError;
    try {
      parsed = parseKernelLong(input);
    } catch (err) {
      if (!(err instanceof GpioAggError)) throw err;
      parsed = err;
    }
    if (this.direction() !== 'out') throw new GpioAggError('EPERM', `${this.source} is an input; set direction to out first`);
    if (parsed instanceof GpioAggError) throw parsed;
    this.handle.setValue(parsed !== 0n ? 1 : 0);
  }

  /** direction_store(): `high` drives raw 1, `out` and `low` raw 0, `in` makes an input. */
  writeDirection(input: string): void {
    const word = parseChoice(input, ['high', 'out', 'low', 'in'] as const, 'direction');
    const current = this.handle.settings();
    if (word === 'in') {
      if (current.direction === 'in') return;
      const edge = this.edgeWhileOutput ?? 'none';
      this.apply({ ...current, direction: 'in', drive: 'push-pull', edge });
      this.edgeWhileOutput = undefined;
      return;
    }
    const raw: Bit = word === 'high' ? 1 : 0;
    const edge = current.direction === 'in' ? current.edge : (this.edgeWhileOutput ?? 'none');
    const logical: Bit = current.activeLow ? (raw === 1 ? 0 : 1) : raw;
    this.apply({ ...current, direction: 'out', edge: 'none' }, logical);
    this.edgeWhileOutput = edge;
  }

  /** active_low_store(): kstrtol, non-zero is 1; an output keeps its physical level. */
  writeActiveLow(input: string): void {
    const activeLow = parseKernelLong(input) !== 0n;
    const current = this.handle.settings();
    if (current.activeLow === activeLow) return;
    if (current.direction === 'out') {
      const logical = this.handle.getValue();
      this.apply({ ...current, activeLow }, (logical === 1 ? 0 : 1));
    } else {
      this.apply({ ...current, activeLow });
    }
  }

  /**
   * edge_store(): the word is checked first (EINVAL); the same edge again is
   * accepted as is. Otherwise the old interrupt goes and the new one is set
   * up, which gpiochip_lock_as_irq() refuses on an output with EIO — leaving
   * the line with no edge at all, as in the kernel.
   */
  writeEdge(input: string): void {
    const edge = parseChoice(input, EDGES, 'edge');
    if (edge === this.edge()) return;
    const current = this.handle.settings();
    if (current.direction === 'out') {
      this.edgeWhileOutput = undefined;
      if (edge !== 'none') throw new GpioAggError('EIO', `cannot detect edges on ${this.source}: it is an output`);
      return;
    }
    this.apply({ ...current, edge });
  }

  onEdge(listener: EdgeListener): () => void {
    return this.handle.onEdge(listener);
  }

  private apply(settings: LineSettings, outputValue?: Bit): void {
    log('%s configure %o value=%s', this.source, settings, outputValue);
    this.handle.configure(settings, outputValue);
  }
}
