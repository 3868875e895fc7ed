// Summarise a V8 .cpuprofile (node --cpu-prof): top functions by self time
// and self time by origin (gpio-aggfs, fuse-native, Node, GC, idle). Only
// the main JavaScript thread is sampled: libfuse's own thread (reading
// /dev/fuse, path resolution in its high-level API, writing replies) is not
// in a .cpuprofile.
//
//   node test/bench/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a frame's code comes from. */
function origin(url, functionName, root) {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)') return 'program (native, outside JS)';
  if (url.includes('/node_modules/fuse-native/')) return 'fuse-native';
  if (url.includes('/node_modules/')) return 'other dependencies';
  if (url.startsWith('node:') || url === '') return 'node internals / native';
  if (root !== undefined && url.includes(`${root}/dist/`)) return 'gpio-aggfs';
  if (root !== undefined && url.includes(`${root}/test/bench/`)) return 'benchmark floor (floor-fs.mjs)';
  if (root !== undefined && url.includes(root)) return 'gpio-aggfs (other)';
  return 'other';
}

function shortUrl(url, root) {
  let u = url.replace(/^file:\/\//, '');
  if (root !== undefined && u.startsWith(`${root}/`)) u = u.slice(root.length + 1);
  return u.replace(/^.*\/node_modules\//, '');
}

/**
 * `window` ([from, to] in µs of CLOCK_MONOTONIC, which is both V8's profile
 * clock and process.hrtime's) keeps only the samples taken inside it, e.g.
 * the benchmark loop without the daemon's start-up.
 */
export function summariseProfile(profile, { root, top = 20, window } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const collect = (inside) => {
    const self = new Map();
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (!inside(t)) continue;
      const id = profile.samples[i];
      const delta = profile.timeDeltas[i + 1] ?? 0;
      self.set(id, (self.get(id) ?? 0) + Math.max(0, delta));
    }
    return self;
  };
  let selfUs = window === undefined ? collect(() => true) : collect((t) => t >= window[0] && t <= window[1]);
  const windowed = window !== undefined && selfUs.size > 0;
  if (!windowed) selfUs = collect(() => true);
  const functions = new Map();
  const origins = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const where = origin(callFrame.url, callFrame.functionName, root);
    total += us;
    if (where === 'idle') { idle += us; continue; }
    origins.set(where, (origins.get(where) ?? 0) + us);
    const name = callFrame.functionName || '(anonymous)';
    const key = `${name} ${shortUrl(callFrame.url, root)}:${callFrame.lineNumber + 1}`;
    const entry = functions.get(key) ?? { function: name, location: `${shortUrl(callFrame.url, root)}:${callFrame.lineNumber + 1}`, origin: where, selfMs: 0 };
    entry.selfMs += us / 1000;
    functions.set(key, entry);
  }
  const busy = total - idle;
  const pct = (us) => Math.round((1000 * us) / busy) / 10;
  return {
    samples: windowed ? 'inside the benchmark loop only' : 'whole process lifetime',
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    byOrigin: [...origins].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ origin: name, selfMs: Math.round(us / 1000), pctOfBusy: pct(us) })),
    topSelf: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top)
      .map((f) => ({ ...f, selfMs: Math.round(f.selfMs * 10) / 10, pctOfBusy: pct(f.selfMs * 1000) })),
  };
}

export function formatProfile(summary) {
  const lines = [`busy ${summary.busyMs} ms of ${summary.totalMs} ms sampled (${summary.samples}; idle ${summary.idleMs} ms)`, 'self time by origin:'];
  for (const o of summary.byOrigin) lines.push(`  ${String(o.pctOfBusy).padStart(5)}%  ${String(o.selfMs).padStart(6)} ms  ${o.origin}`);
  lines.push('top functions by self time:');
  for (const f of summary.topSelf) {
    lines.push(`  ${String(f.pctOfBusy).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.function}  ${f.location}  [${f.origin}]`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: profile-summary.mjs <file.cpuprofile> [top]');
    process.exit(2);
  }
  const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')), { root, top: Number(process.argv[3] ?? 25) });
  console.log(formatProfile(summary));
}
