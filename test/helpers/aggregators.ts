import { readFile } from 'node:fs/promises';
import type { Daemon } from './daemon.js';
import { q, sh } from './run.js';

/** The names listed in agg/devices, in order. */
export async function aggregatorNames(daemon: Daemon): Promise<string[]> {
  const text = await readFile(daemon.path('agg', 'devices'), 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => line.split(' ')[0] as string);
}

/** Create an aggregator as root (`echo spec > agg/new_device`); resolves to its name. */
export async function createAggregator(daemon: Daemon, spec: string): Promise<string> {
  const before = new Set(await aggregatorNames(daemon));
  const result = await sh(`echo ${q(spec)} > ${q(daemon.path('agg', 'new_device'))}`);
  if (result.code !== 0) throw new Error(`creating "${spec}" failed: ${result.stderr}`);
  const created = (await aggregatorNames(daemon)).filter((name) => !before.has(name));
  if (created.length !== 1) throw new Error(`creating "${spec}" added ${created.join(', ') || 'nothing'}`);
  return created[0] as string;
}
