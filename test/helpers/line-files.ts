import type { Daemon } from './daemon.js';
import { q, sh } from './run.js';

/**
 * Line state outlives a mount: in the VM the gpio-sim chips keep each line's
 * direction and pull from one test file to the next. Put lines 0… of
 * `aggregator` back to inputs (no edge, not active-low, bias as-is,
 * push-pull) and pull `lines` (the chip line behind each, in order) down.
 * Test files start from this and leave the lines so.
 */
export async function resetLines(daemon: Daemon, aggregator: string, lines: readonly (readonly [string, number])[]): Promise<void> {
  const script = lines.map((_, k) => {
    const dir = q(daemon.path(aggregator, `line${k}`));
    return `echo none > ${dir}/edge && echo in > ${dir}/direction && echo 0 > ${dir}/active_low`
      + ` && echo as-is > ${dir}/bias && echo push-pull > ${dir}/drive`;
  }).join(' && ');
  const result = await sh(script);
  if (result.code !== 0) throw new Error(`cannot reset the lines of ${aggregator}: ${result.stderr}`);
  for (const [chip, offset] of lines) await daemon.lines.pull(chip, offset, 'pull-down');
}
