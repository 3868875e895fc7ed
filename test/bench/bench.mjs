// gpio-aggfs benchmark: latency, throughput, scale, memory and events, each
// measured side by side with its floor in the same run (absolute times drift
// on shared machines; ratios measured together hold).
//
//   npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--vm]
//
// Clients are separate processes (test/bench/client.c), never the daemon's
// event loop. Latency: every op is timed; samples of all batches and rounds
// are pooled for the median and p99; rounds interleave the targets.
// Prints a table and writes JSON (default /tmp/gpio-aggfs-bench-<time>.json).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile, formatProfile } from './profile-summary.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const BIN = join(ROOT, 'bin', 'gpio-aggfs');

const options = parseArgs(process.argv.slice(2));
const ROUNDS = options.rounds ?? (options.quick ? 2 : 8);
const SCALE = options.quick ? 0.25 : 1;

const TARGETS = {
  'read ≤ 1.25× floor': { limit: 1.25, unit: '×' },
  'write ≤ 1.25× floor': { limit: 1.25, unit: '×' },
  'open+write+close ≤ 1.5× floor': { limit: 1.5, unit: '×' },
  'new_device 512 lines < 200 ms': { limit: 200, unit: 'ms' },
  'ls -lR 512 lines < 500 ms': { limit: 500, unit: 'ms' },
  'RSS 100×32 lines < 150 MB': { limit: 150, unit: 'MB' },
  'restore 100×32 lines < 5 s': { limit: 5000, unit: 'ms' },
};

const cleanups = [];
process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}

async function main() {
  const started = Date.now();
  if (!options.noBuild) {
    log('building (tsc -p tsconfig.build.json)');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'gpio-aggfs-bench-'));
  chmodSync(work, 0o755);
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const client = join(work, 'client');
  execFileSync('cc', ['-O2', '-Wall', '-o', client, join(HERE, 'client.c')], { stdio: 'inherit' });
  const board = join(work, 'board.json');
  writeFileSync(board, JSON.stringify(benchBoard()));

  const results = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model, cpus: cpus().length, node: process.version, kernel: release(),
      rounds: ROUNDS, quick: Boolean(options.quick),
      method: 'per-op latency in µs, samples pooled over all batches and rounds; rounds interleave targets',
    },
  };

  // --- Latency: gpio-aggfs vs the fuse-native floor vs tmpfs -------------------
  const daemon = await startDaemon(work, 'agg', board);
  const floor = await startFloor(work);
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/gpio-aggfs-bench-') : mkdtempSync(join(work, 'tmpfs-'));
  cleanups.push(async () => rmSync(shm, { recursive: true, force: true }));
  writeFileSync(join(shm, 'value'), '1\n');
  await control(daemon.mnt, 'new_device', 'gpiochip0 0-7');
  for (let k = 0; k < 8; k++) await writeFile(join(daemon.mnt, 'gpio-agg.0', `line${k}`, 'direction'), 'out');
  const files = {
    'gpio-aggfs': (k = 0) => join(daemon.mnt, 'gpio-agg.0', `line${k}`, 'value'),
    floor: () => join(floor.mnt, 'value'),
    // The floor's file again, as deep as a gpio-aggfs value file (three path components).
    'floor, same depth': () => join(floor.mnt, 'gpio-agg.0', 'line0', 'value'),
    tmpfs: () => join(shm, 'value'),
  };
  const TPUT_TARGETS = ['gpio-aggfs', 'floor', 'tmpfs'];
  const ops = {
    pread: { label: 'value read (pread, open fd)', batches: 20, size: 250 },
    pwrite: { label: 'value write (pwrite, open fd)', batches: 20, size: 250 },
    owc: { label: 'open+write+close', batches: 10, size: 200 },
    shell: { label: 'shell: echo 1 > value', batches: 2, size: 25 },
  };
  log(`latency: ${Object.keys(ops).join(', ')} × ${Object.keys(files).join(', ')}, ${ROUNDS} rounds`);
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [op, spec] of Object.entries(ops)) {
      const order = rotate(Object.keys(files), round);
      for (const target of order) {
        const batches = Math.max(1, Math.round(spec.batches * SCALE));
        const out = runClient(client, ['lat', op, files[target](), batches, spec.size]);
        ((samples[op] ??= {})[target] ??= []).push(out.trim().split('\n').map(Number));
      }
    }
  }
  results.latency = {};
  for (const [op, spec] of Object.entries(ops)) {
    const row = { label: spec.label };
    for (const target of Object.keys(files)) row[target] = summary(samples[op][target].flat());
    // Paired: the ratio of the two medians of each round (measured minutes apart at most), then their median.
    const paired = (a, b) => round2(median(samples[op][a].map((xs, i) => median(xs) / median(samples[op][b][i]))));
    row.ratioToFloor = paired('gpio-aggfs', 'floor');
    row.ratioToFloorPooled = round2(row['gpio-aggfs'].median / row.floor.median);
    row.ratioToFloorSameDepth = paired('gpio-aggfs', 'floor, same depth');
    row.ratioToTmpfs = paired('gpio-aggfs', 'tmpfs');
    row.floorToTmpfs = paired('floor', 'tmpfs');
    results.latency[op] = row;
  }

  // --- Throughput: 1/2/4/8 concurrent clients ---------------------------------
  const durationMs = options.quick ? 400 : 800;
  const clientCounts = [1, 2, 4, 8];
  log(`throughput: ${clientCounts.join('/')} clients × ${TPUT_TARGETS.join(", ")}, ${durationMs} ms each, ${Math.min(ROUNDS, 3)} rounds`);
  const tput = {};
  for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
    for (const n of clientCounts) {
      for (const target of rotate(TPUT_TARGETS, round)) {
        const total = await concurrentWrites(client, n, (i) => files[target](i % 8), durationMs);
        ((tput[n] ??= {})[target] ??= []).push(total);
      }
    }
  }
  results.throughput = {};
  for (const n of clientCounts) {
    const row = {};
    for (const target of TPUT_TARGETS) row[target] = Math.round(median(tput[n][target]));
    row.ratioToFloor = round2(row['gpio-aggfs'] / row.floor);
    results.throughput[n] = row;
  }

  // --- Events: .sim pull change → event line at a blocked reader --------------
  log('events: pull change to event line');
  await control(daemon.mnt, 'new_device', 'gpiochip0 8');
  await writeFile(join(daemon.mnt, 'gpio-agg.1', 'line0', 'edge'), 'both');
  const eventSamples = { total: [], pullWrite: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const out = runClient(client, ['event', join(daemon.mnt, 'gpio-agg.1', 'line0', 'events'),
      join(daemon.mnt, '.sim', 'gpiochip0', 'sim_gpio8', 'pull'), Math.round(400 * SCALE)]);
    for (const line of out.trim().split('\n')) {
      const [total, pull] = line.split(' ').map(Number);
      eventSamples.total.push(total);
      eventSamples.pullWrite.push(pull);
    }
  }
  results.events = { pullToEvent: summary(eventSamples.total), pullWriteAlone: summary(eventSamples.pullWrite) };

  // --- Scale: new_device of 1/32/512 lines, ls -lR ----------------------------
  log('scale: new_device 1/32/512 lines, ls -lR of 512 lines');
  const creation = { 1: [], 32: [], 512: [] };
  const deletion = { 1: [], 32: [], 512: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of [1, 32, 512]) {
      creation[n].push(await timed(() => control(daemon.mnt, 'new_device', `gpiochip1 0-${n - 1}`)));
      deletion[n].push(await timed(() => control(daemon.mnt, 'delete_device', 'gpio-agg.2')));
    }
  }
  await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
  const lsTimes = [];
  let lsEntries = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    const ls = spawnSync('ls', ['-lR', join(daemon.mnt, 'gpio-agg.2')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    lsTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (ls.status !== 0) throw new Error(`ls -lR failed: ${ls.stderr}`);
    lsEntries = ls.stdout.split('\n').filter((l) => /^[-d]/.test(l)).length;
  }
  const lsTmpfs = await lsFloor(shm, lsEntries);
  await control(daemon.mnt, 'delete_device', 'gpio-agg.2');
  results.scale = {
    newDeviceMs: Object.fromEntries(Object.entries(creation).map(([n, t]) => [n, msSummary(t)])),
    deleteDeviceMs: Object.fromEntries(Object.entries(deletion).map(([n, t]) => [n, msSummary(t)])),
    lsLR512: { ...msSummary(lsTimes), entries: lsEntries, tmpfsSameTreeMs: lsTmpfs },
  };
  await daemon.stop();
  await floor.stop();

  // --- Memory and restore: 100 aggregators of 32 lines -------------------------
  log('memory: 100 aggregators × 32 lines; start-up and restore');
  results.memory = await memoryAndRestore(work, board);

  // --- Profile of the value-write loop ----------------------------------------
  if (!options.noProfile) {
    log('profile: daemon under node --cpu-prof, pwrite loop');
    results.profile = await profileWriteLoop(work, board, client);
  }

  // --- VM: gpio-aggfs vs legacy sysfs vs libgpiod on a gpio-sim line -----------
  if (options.vm) {
    log('vm: booting (test/vm/run.sh -- bash test/bench/vm-bench.sh)');
    results.vm = runVm();
  }

  results.targets = evaluateTargets(results);
  results.meta.seconds = Math.round((Date.now() - started) / 1000);
  const out = options.out ?? join(tmpdir(), `gpio-aggfs-bench-${results.meta.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  console.log(`\nJSON: ${out}`);
}

// --------------------------------------------------------------------------------

function parseArgs(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') parsed.out = resolve(argv[++i]);
    else if (arg === '--rounds') parsed.rounds = Number(argv[++i]);
    else if (arg === '--quick') parsed.quick = true;
    else if (arg === '--no-build') parsed.noBuild = true;
    else if (arg === '--no-profile') parsed.noProfile = true;
    else if (arg === '--vm') parsed.vm = true;
    else {
      console.error(`bench: unknown argument ${arg}\nusage: npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--vm]`);
      process.exit(2);
    }
  }
  return parsed;
}

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

async function cleanup() {
  while (cleanups.length > 0) {
    try { await cleanups.pop()(); } catch { /* best effort */ }
  }
}

/** Chip 0: latency and events; chip 1: the 512-line aggregator; chips 2–8: 100 × 32 lines. */
function benchBoard() {
  const chips = [{ label: 'bench-a', lines: 16 }, { label: 'bench-b', lines: 512 }];
  for (let i = 0; i < 7; i++) chips.push({ label: `bench-${i + 2}`, lines: 512 });
  return { chips };
}

async function startDaemon(work, name, board, { nodeArgs = [], args = [] } = {}) {
  const base = join(work, name);
  mkdirSync(base, { recursive: true });
  const mnt = join(base, 'mnt');
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'mount', mnt, '--sim', board, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' },
  });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const exited = new Promise((done) => child.on('exit', done));
  let alive = true;
  const stop = async () => {
    if (!alive) return;
    alive = false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
    spawnSync('fusermount', ['-uz', mnt]);
  };
  cleanups.push(stop);
  await waitFor(() => exists(join(mnt, 'agg', 'new_device')), 30000, () => child.exitCode !== null,
    () => `gpio-aggfs did not become ready:\n${output}`);
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { mnt, child, readyMs, stop, output: () => output };
}

async function startFloor(work) {
  const mnt = join(work, 'floor');
  mkdirSync(mnt, { recursive: true });
  const child = spawn(process.execPath, [join(HERE, 'floor-fs.mjs'), mnt], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  const exited = new Promise((done) => child.on('exit', done));
  let alive = true;
  const stop = async () => {
    if (!alive) return;
    alive = false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
    spawnSync('fusermount', ['-uz', mnt]);
  };
  cleanups.push(stop);
  await waitFor(() => output.includes('ready'), 20000, () => child.exitCode !== null, () => `floor-fs failed:\n${output}`);
  return { mnt, stop };
}

async function waitFor(check, timeoutMs, failed, message) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (failed() || Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 5));
  }
}

function exists(path) {
  return stat(path).then(() => true, () => false);
}

async function control(mnt, file, text) {
  try {
    await writeFile(join(mnt, 'agg', file), text);
  } catch (err) {
    const reason = await readFile(join(mnt, 'agg', 'last_error'), 'utf8').catch(() => '');
    throw new Error(`${file} "${text}": ${err.message} ${reason}`);
  }
}

async function timed(action) {
  const t0 = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function runClient(client, args) {
  const result = spawnSync(client, args.map(String), { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.status !== 0) throw new Error(`client ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** N client processes writing for the same wall-clock window; total ops/s. */
async function concurrentWrites(client, n, pathOf, durationMs) {
  const start = BigInt(Date.now() + 150) * 1000000n;
  const runs = [];
  for (let i = 0; i < n; i++) {
    runs.push(new Promise((done, fail) => {
      const child = spawn(client, ['tput', pathOf(i), String(start), String(durationMs * 1e6)]);
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { err += c; });
      child.on('exit', (code) => (code === 0 ? done(Number(out.trim())) : fail(new Error(`tput client: ${err}`))));
    }));
  }
  const counts = await Promise.all(runs);
  return counts.reduce((a, b) => a + b, 0) / (durationMs / 1000);
}

/** ls -lR of a tmpfs tree shaped like a 512-line aggregator, for scale. */
async function lsFloor(shm, entries) {
  const dir = join(shm, 'tree');
  for (let k = 0; k < 512; k++) {
    const line = join(dir, `line${k}`);
    mkdirSync(line, { recursive: true });
    for (const f of ['value', 'direction', 'active_low', 'edge', 'bias', 'drive', 'name', 'source', 'events']) writeFileSync(join(line, f), '0\n');
  }
  const times = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  rmSync(dir, { recursive: true, force: true });
  void entries;
  return round2(median(times));
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function spec32(k) {
  const chip = 2 + Math.floor(k / 16);
  const first = (k % 16) * 32;
  return `gpiochip${chip} ${first}-${first + 31}`;
}

async function memoryAndRestore(work, board) {
  const state = join(work, 'state.json');
  const startups = [];
  let daemon;
  for (let i = 0; i < 3; i++) {
    daemon = await startDaemon(work, `mem${i}`, board, { args: ['--state', state] });
    startups.push(daemon.readyMs);
    if (i < 2) await daemon.stop();
  }
  await new Promise((r) => setTimeout(r, 500));
  const empty = rssKb(daemon.child.pid);
  const createMs = await timed(async () => {
    for (let k = 0; k < 100; k++) await control(daemon.mnt, 'new_device', spec32(k));
  });
  await new Promise((r) => setTimeout(r, 1000));
  const full = rssKb(daemon.child.pid);
  await daemon.stop();

  const memory = {
    startupEmptyMs: msSummary(startups),
    rssEmptyMB: round2(empty.rss / 1024),
    rss100x32MB: round2(full.rss / 1024),
    peakRss100x32MB: round2(full.hwm / 1024),
    create100x32Ms: round2(createMs),
  };
  const saved = existsSync(state) ? readFileSync(state, 'utf8') : '';
  const restorable = saved.includes('gpiochip8');
  if (restorable) {
    const t0 = process.hrtime.bigint();
    const restored = await startDaemon(work, 'restore', board, { args: ['--state', state] });
    await waitFor(async () => (await readFile(join(restored.mnt, 'agg', 'devices'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 100,
      30000, () => restored.child.exitCode !== null, () => `restore did not bring back 100 aggregators:\n${restored.output()}`);
    memory.restoreMs = round2(Number(process.hrtime.bigint() - t0) / 1e6);
    memory.restoreMethod = 'start with --state holding 100×32 lines, until agg/devices lists all 100';
    await restored.stop();
  } else {
    memory.restoreMs = round2(median(startups) + createMs);
    memory.restoreMethod = 'state file not written by this build (--state pending): start-up + 100 new_device writes';
  }
  return memory;
}

async function profileWriteLoop(work, board, client) {
  const dir = join(work, 'profile');
  const daemon = await startDaemon(work, 'prof', board, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  await control(daemon.mnt, 'new_device', 'gpiochip0 0');
  const value = join(daemon.mnt, 'gpio-agg.0', 'line0', 'value');
  await writeFile(join(daemon.mnt, 'gpio-agg.0', 'line0', 'direction'), 'out');
  const t0 = process.hrtime.bigint();
  const out = runClient(client, ['lat', 'pwrite', value, Math.round(200 * SCALE), 500]);
  const t1 = process.hrtime.bigint();
  const loopMs = Number(t1 - t0) / 1e6;
  const opsDone = out.trim().split('\n').length;
  await daemon.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return { error: 'no .cpuprofile written' };
  const kept = join(tmpdir(), `gpio-aggfs-bench-write-loop-${Date.now()}.cpuprofile`);
  writeFileSync(kept, readFileSync(join(dir, file)));
  const profile = summariseProfile(JSON.parse(readFileSync(kept, 'utf8')), { root: ROOT, top: 20, window: [Number(t0 / 1000n), Number(t1 / 1000n)] });
  return { file: kept, ops: opsDone, loopMs: round2(loopMs), ...profile };
}

function runVm() {
  const result = spawnSync('bash', [join(ROOT, 'test', 'vm', 'run.sh'), '--', 'bash', 'test/bench/vm-bench.sh'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH-VM-JSON '));
  if (line === undefined) return { error: `vm-bench produced no result (exit ${result.status})` };
  return JSON.parse(line.slice('BENCH-VM-JSON '.length));
}

function evaluateTargets(r) {
  const values = {
    'read ≤ 1.25× floor': r.latency.pread.ratioToFloor,
    'write ≤ 1.25× floor': r.latency.pwrite.ratioToFloor,
    'open+write+close ≤ 1.5× floor': r.latency.owc.ratioToFloor,
    'new_device 512 lines < 200 ms': r.scale.newDeviceMs[512].median,
    'ls -lR 512 lines < 500 ms': r.scale.lsLR512.median,
    'RSS 100×32 lines < 150 MB': r.memory.rss100x32MB,
    'restore 100×32 lines < 5 s': r.memory.restoreMs,
  };
  return Object.entries(TARGETS).map(([name, { limit, unit }]) => {
    const value = values[name];
    const met = name.includes('≤') ? value <= limit : value < limit;
    return { name, value, limit, unit, met };
  });
}

// --- statistics -------------------------------------------------------------------

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** ns samples → µs summary. */
function summary(ns) {
  return { median: round2(median(ns) / 1000), p99: round2(percentile(ns, 99) / 1000), n: ns.length };
}

function msSummary(ms) {
  return { median: round2(median(ms)), p99: round2(percentile(ms, 99)), n: ms.length };
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

// --- output -----------------------------------------------------------------------

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function printTable(r) {
  const m = r.meta;
  console.log(`\ngpio-aggfs benchmark — ${m.date}, ${m.cpus}× ${m.cpu}, node ${m.node}, kernel ${m.kernel}, ${m.rounds} rounds${m.quick ? ' (quick)' : ''}`);
  console.log('\nLatency per op, µs: median / p99 (samples pooled over batches and interleaved rounds).');
  console.log('Ratios are paired: per round, median ÷ median of the other target in the same round; the median of those.');
  console.log('"floor" serves /value; "floor, same depth" serves the same file at /gpio-agg.0/line0/value.');
  const cell = (s) => `${s.median} / ${s.p99}`;
  table(['operation', 'gpio-aggfs', 'floor', 'floor, same depth', 'tmpfs', 'agg/floor', 'agg/floor same depth', 'agg/tmpfs', 'floor/tmpfs', 'n'],
    Object.values(r.latency).map((row) => [row.label, cell(row['gpio-aggfs']), cell(row.floor), cell(row['floor, same depth']), cell(row.tmpfs),
      `${row.ratioToFloor}×`, `${row.ratioToFloorSameDepth}×`, `${row.ratioToTmpfs}×`, `${row.floorToTmpfs}×`, row['gpio-aggfs'].n]));

  console.log('\nThroughput, value writes per second (pwrite, open fd), all clients together');
  table(['clients', 'gpio-aggfs', 'floor', 'tmpfs', 'agg/floor'],
    Object.entries(r.throughput).map(([n, row]) => [n, row['gpio-aggfs'], row.floor, row.tmpfs, `${row.ratioToFloor}×`]));

  console.log('\nEvents, µs: median / p99');
  table(['measurement', 'value', 'n'], [
    ['.sim pull write → event line read by a blocked reader', cell(r.events.pullToEvent), r.events.pullToEvent.n],
    ['  of which: the pull write itself (open+write+close)', cell(r.events.pullWriteAlone), r.events.pullWriteAlone.n],
  ]);

  console.log('\nScale, ms: median / p99');
  const s = r.scale;
  table(['measurement', 'value', 'n'], [
    ['new_device, 1 line', cell(s.newDeviceMs[1]), s.newDeviceMs[1].n],
    ['new_device, 32 lines', cell(s.newDeviceMs[32]), s.newDeviceMs[32].n],
    ['new_device, 512 lines', cell(s.newDeviceMs[512]), s.newDeviceMs[512].n],
    ['delete_device, 512 lines', cell(s.deleteDeviceMs[512]), s.deleteDeviceMs[512].n],
    [`ls -lR of a 512-line aggregator (${s.lsLR512.entries} entries)`, cell(s.lsLR512), s.lsLR512.n],
    ['  same tree on tmpfs', s.lsLR512.tmpfsSameTreeMs, ''],
  ]);

  console.log('\nMemory and start-up');
  const mem = r.memory;
  table(['measurement', 'value'], [
    ['start-up, empty state (spawn → agg/new_device exists), ms', cell(mem.startupEmptyMs)],
    ['RSS, no aggregators, MB', mem.rssEmptyMB],
    ['RSS, 100 aggregators × 32 lines, MB', mem.rss100x32MB],
    ['peak RSS (VmHWM), MB', mem.peakRss100x32MB],
    ['creating 100 × 32 lines by new_device, ms', mem.create100x32Ms],
    ['restore of 100 × 32 lines, ms', mem.restoreMs],
    ['  method', mem.restoreMethod],
  ]);

  if (r.vm) {
    console.log('\nVM (QEMU TCG, gpio-sim line; absolute times are emulation-bound, compare ratios), µs: median / p99');
    if (r.vm.error) console.log(`  ${r.vm.error}`);
    else {
      table(['value write', 'latency', 'vs legacy sysfs', 'vs fuse-native floor', 'n'],
        Object.entries(r.vm.write).map(([k, v]) => [k, cell(v), `${v.ratioToSysfs}×`, `${v.ratioToFloor}×`, v.n]));
    }
  }

  if (r.profile && !r.profile.error) {
    console.log(`\nProfile of the daemon under the pwrite loop (${r.profile.ops} ops in ${r.profile.loopMs} ms; ${r.profile.file})`);
    console.log(formatProfile(r.profile));
  }

  console.log('\nTargets');
  table(['target', 'measured', 'met'], r.targets.map((t) => [t.name, `${t.value}${t.unit === '×' ? '×' : ` ${t.unit}`}`, t.met ? 'yes' : 'NO']));
}
