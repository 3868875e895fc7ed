// gpio-aggfs benchmark: latency, throughput, scale, memory, events and
// readers, each measured side by side with its floors in the same run
// (absolute times drift on shared machines; ratios measured together hold).
//
//   npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--profiles-only] [--idle-readers-only] [--vm] [--pin]
//
// --idle-readers-only measures just the events flood (issue 11): IDLE_READERS
// idle non-blocking readers of one `events` file held by a non-root user while
// IDLE_EDGES edges arrive — daemon RSS growth and another client's read latency.
//
// Compared: gpio-aggfs on each transport `gpio-aggfs mount --help` offers
// (--transport; without the option, the one it has), a C libfuse3 floor
// (test/bench/floor-c.c, built here against libfuse3-dev), the fuse-native
// floor (test/bench/floor-fs.mjs) and tmpfs. The targets are printed with
// the measured value, met or missed; nothing is asserted.
//
// Clients are separate processes (test/bench/client.c), never the daemon's
// event loop. Latency: every op is timed; samples of all batches and rounds
// are pooled for the median and p99; rounds interleave the targets.
// Prints a table and writes JSON (default /tmp/gpio-aggfs-bench-<time>.json).
// --pin runs the servers and the latency clients on CPU 0 (throughput and
// reader clients stay free); the machine's load average is printed.
//
// Unless --no-profile: CPU profiles (node --cpu-prof) of the daemon and of the
// fuse-native floor under a pwrite loop, an open+write+close loop and repeated
// `ls -lR` of a 512-line aggregator, and the FUSE requests each client
// operation costs, counted from libfuse's debug trace (gpio-aggfs on
// fuse-native and both floors). --profiles-only runs just those.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdtempSync, chmodSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
// fuse-native passes libfuse's `debug` option when DEBUG contains "*" or is
// exactly ",fuse-bindings," (its test is /\*|(^,)fuse-bindings(,$)/, so plain
// DEBUG=fuse-bindings does not match); gpio-aggfs keeps DEBUG at mount time
// only if it names fuse-bindings. This value passes both tests and enables
// no debug-package namespace but fuse-bindings.
const FUSE_TRACE_DEBUG = ',fuse-bindings,';

// Transports: those `gpio-aggfs mount --help` offers (--transport), else the only one there is.
// The build comes first: the transports are those the built CLI offers.
if (!options.noBuild) {
  log('building (tsc -p tsconfig.build.json)');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
const TRANSPORTS = detectTransports();
const TRANSPORT_OPTION = TRANSPORTS.option;
const AGG = (t) => `gpio-aggfs ${t}`;
const C_FLOOR = 'C libfuse3 floor';
const C_FLOOR_0 = 'C floor, timeouts 0';
const FN_FLOOR = 'fuse-native floor';
const FN_FLOOR_DEEP = 'fuse-native floor, same depth';
const BLOCKED_READERS = 1000;
const IDLE_READERS = options.quick ? 1000 : 3000;
const IDLE_EDGES = options.quick ? 1000 : 3000;
const IDLE_UID = 65534; // nobody: a user given nothing

// Each target: how its value is taken from the results of one transport, and its limit.
const TARGETS = [
  { name: 'value pread ≤ 1.25× C floor', unit: '×', limit: 1.25, value: (r, a) => r.latency?.pread.ratios[a][C_FLOOR] },
  { name: 'value pwrite ≤ 1.25× C floor', unit: '×', limit: 1.25, value: (r, a) => r.latency?.pwrite.ratios[a][C_FLOOR] },
  { name: 'open+write+close ≤ 2× C floor', unit: '×', limit: 2, value: (r, a) => r.latency?.owc.ratios[a][C_FLOOR] },
  { name: 'ls -lR 512 lines ≤ 3× tmpfs', unit: '×', limit: 3, value: (r, a) => r.lsLR512?.ratioToTmpfs[a] },
  { name: 'edge → select() wake-up ≤ 100 µs', unit: 'µs', limit: 100, value: (r, a) => (r.events?.[a].poll === false ? 'no poll' : r.events?.[a].selectWake.median) },
  { name: '4 clients ≥ 1.5× one client', unit: '×', limit: 1.5, atLeast: true, value: (r, a) => r.throughput?.scaling4[a] },
  { name: `${BLOCKED_READERS} blocked readers: < 64 threads`, unit: 'threads', limit: 64, value: (r, a) => r.readers?.[a].blocked?.threadsWhileBlocked },
  { name: `${BLOCKED_READERS} blocked readers: RSS growth < 50 MB`, unit: 'MB', limit: 50, value: (r, a) => r.readers?.[a].blocked?.rssGrowthMB },
  { name: `${IDLE_READERS} idle readers × ${IDLE_EDGES} edges: RSS growth < 50 MB`, unit: 'MB', limit: 50, value: (r, a) => r.readers?.[a].idle.rssGrowthMB },
  { name: `  … other clients' reads < 50 ms (max)`, unit: 'ms', limit: 50, value: (r, a) => r.readers?.[a].idle.otherReads.maxMs },
  { name: 'new_device 512 lines < 200 ms', unit: 'ms', limit: 200, value: (r, a) => r.scale?.[a].newDeviceMs[512].median },
  { name: 'ls -lR 512 lines < 500 ms', unit: 'ms', limit: 500, value: (r, a) => r.lsLR512?.ms[a].median },
  { name: 'RSS 100×32 lines < 150 MB', unit: 'MB', limit: 150, value: (r, a) => r.memory?.[a].rss100x32MB },
  { name: 'restore 100×32 lines < 5 s', unit: 'ms', limit: 5000, value: (r, a) => r.memory?.[a].restoreMs },
];

const PROFILED = {
  pwrite: 'value write (pwrite, open fd)',
  owc: 'open+write+close of value',
  owcSameDepth: 'open+write+close, same depth (/gpio-agg.0/line0/value)',
  lsLR: 'ls -lR of a 512-line aggregator (floor: the same tree)',
  selectWake: 'pull change → select() wake-up on value',
  tput1: 'pwrite of value, 1 client for 0.8 s',
  tput4: 'pwrite of value, 4 clients at once for 0.8 s',
};
const OPCODE_ORDER = ['LOOKUP', 'GETATTR', 'OPEN', 'WRITE', 'READ', 'FLUSH', 'RELEASE', 'OPENDIR', 'READDIR', 'RELEASEDIR', 'GETXATTR', 'LISTXATTR', 'FORGET', 'BATCH_FORGET'];

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
  const work = mkdtempSync(join(tmpdir(), 'gpio-aggfs-bench-'));
  chmodSync(work, 0o755);
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const client = join(work, 'client');
  execFileSync('cc', ['-O2', '-Wall', '-o', client, join(HERE, 'client.c'), '-lpthread'], { stdio: 'inherit' });
  const floorC = buildFloorC(work);
  const board = join(work, 'board.json');
  writeFileSync(board, JSON.stringify(benchBoard()));

  const results = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model, cpus: cpus().length, node: process.version, kernel: release(),
      rounds: ROUNDS, quick: Boolean(options.quick), pinned: options.pin ? 'servers and latency clients on CPU 0' : 'no',
      transports: TRANSPORTS, transportOption: TRANSPORT_OPTION,
      loadBefore: loadavg(),
      method: 'per-op latency in µs, samples pooled over all batches and rounds; rounds interleave targets',
    },
  };
  log(`transports: ${TRANSPORTS.join(', ')}${TRANSPORT_OPTION ? '' : ' (mount has no --transport option)'}; load ${results.meta.loadBefore}`);

  if (options.idleReadersOnly) await measureIdleReaders(work, board, client, results);
  else if (!options.profilesOnly) await measure(work, board, client, floorC, results);

  // --- Profiles and FUSE requests per operation ----------------------------------
  if (!options.noProfile && !options.idleReadersOnly) {
    log('profiles: daemon and floor under node --cpu-prof (pwrite, open+write+close, ls -lR)');
    results.profiles = await profiles(work, board, client);
    log('requests: FUSE requests per operation, from libfuse\'s debug trace (gpio-aggfs and floor)');
    results.requests = await requestsPerOperation(work, board, client, floorC);
    if (results.latency) timePerRequest(results);
  }

  // --- VM: gpio-aggfs vs legacy sysfs vs libgpiod on a gpio-sim line -----------
  if (options.vm) {
    log('vm: booting (test/vm/run.sh -- bash test/bench/vm-bench.sh)');
    results.vm = runVm();
  }

  results.targets = evaluateTargets(results);
  results.meta.loadAfter = loadavg();
  results.meta.seconds = Math.round((Date.now() - started) / 1000);
  const out = options.out ?? join(tmpdir(), `gpio-aggfs-bench-${results.meta.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  console.log(`\nJSON: ${out}`);
}

/** Latency, throughput, events, scale, readers, memory and restore. */
async function measure(work, board, client, floorC, results) {
  // --- Latency: gpio-aggfs on each transport vs the C libfuse3 floor, the fuse-native floor, tmpfs
  const daemons = {};
  for (const t of TRANSPORTS) daemons[t] = await startDaemon(work, `agg-${t}`, board, { transport: t });
  const cFloor = await startFloorC(work, floorC, { name: 'floor-c' });
  const cFloor0 = await startFloorC(work, floorC, { name: 'floor-c-0', timeout: 0 });
  const floor = await startFloor(work);
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/gpio-aggfs-bench-') : mkdtempSync(join(work, 'tmpfs-'));
  cleanups.push(async () => rmSync(shm, { recursive: true, force: true }));
  writeFileSync(join(shm, 'value'), '1\n');
  for (const t of TRANSPORTS) {
    const mnt = daemons[t].mnt;
    await control(mnt, 'new_device', 'gpiochip0 0-7');
    for (let k = 0; k < 8; k++) await writeFile(join(mnt, 'gpio-agg.0', `line${k}`, 'direction'), 'out');
  }
  const deep = (mnt) => join(mnt, 'gpio-agg.0', 'line0', 'value');
  const files = {};
  for (const t of TRANSPORTS) files[AGG(t)] = (k = 0) => join(daemons[t].mnt, 'gpio-agg.0', `line${k}`, 'value');
  // The C floor's value file sits where gpio-aggfs's does (/gpio-agg.0/line0/value).
  files[C_FLOOR] = () => deep(cFloor.mnt);
  files[C_FLOOR_0] = () => deep(cFloor0.mnt);
  files[FN_FLOOR] = () => join(floor.mnt, 'value');
  // The fuse-native floor's file again, as deep as a gpio-aggfs value file (three path components).
  files[FN_FLOOR_DEEP] = () => deep(floor.mnt);
  files.tmpfs = () => join(shm, 'value');
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
      for (const target of rotate(Object.keys(files), round)) {
        const batches = Math.max(1, Math.round(spec.batches * SCALE));
        const out = runClient(client, ['lat', op, files[target](), batches, spec.size]);
        ((samples[op] ??= {})[target] ??= []).push(out.trim().split('\n').map(Number));
      }
    }
  }
  // Paired: the ratio of the two medians of each round (measured minutes apart at most), then their median.
  const paired = (op, a, b) => round2(median(samples[op][a].map((xs, i) => median(xs) / median(samples[op][b][i]))));
  results.latency = {};
  for (const [op, spec] of Object.entries(ops)) {
    const row = { label: spec.label, targets: {}, ratios: {} };
    for (const target of Object.keys(files)) row.targets[target] = summary(samples[op][target].flat());
    for (const t of TRANSPORTS) {
      row.ratios[AGG(t)] = Object.fromEntries([C_FLOOR, C_FLOOR_0, FN_FLOOR, FN_FLOOR_DEEP, 'tmpfs'].map((b) => [b, paired(op, AGG(t), b)]));
    }
    row.ratios[C_FLOOR] = { tmpfs: paired(op, C_FLOOR, 'tmpfs') };
    row.ratios[FN_FLOOR_DEEP] = { [C_FLOOR]: paired(op, FN_FLOOR_DEEP, C_FLOOR) };
    results.latency[op] = row;
  }

  // --- Throughput: 1/2/4/8 concurrent clients ---------------------------------
  const tputTargets = [...TRANSPORTS.map(AGG), C_FLOOR, FN_FLOOR, 'tmpfs'];
  const durationMs = options.quick ? 400 : 800;
  const clientCounts = [1, 2, 4, 8];
  const tputRounds = Math.min(ROUNDS, 3);
  log(`throughput: ${clientCounts.join('/')} clients × ${tputTargets.join(', ')}, ${durationMs} ms each, ${tputRounds} rounds`);
  const tput = {};
  for (let round = 0; round < tputRounds; round++) {
    for (const n of clientCounts) {
      for (const target of rotate(tputTargets, round)) {
        const total = await concurrentWrites(client, n, (i) => files[target](i % 8), durationMs);
        ((tput[n] ??= {})[target] ??= []).push(total);
      }
    }
  }
  results.throughput = { byClients: {}, scaling4: {} };
  for (const n of clientCounts) {
    results.throughput.byClients[n] = Object.fromEntries(tputTargets.map((target) => [target, Math.round(median(tput[n][target]))]));
  }
  // 4 clients ÷ 1 client, paired per round.
  for (const target of tputTargets) {
    const pairs = tput[4][target].map((x, i) => [x, tput[1][target][i]]).filter(([, one]) => one > 0);
    results.throughput.scaling4[target] = pairs.length > 0 ? round2(median(pairs.map(([four, one]) => four / one))) : undefined;
  }
  await cFloor0.stop();
  await floor.stop();

  // --- Events: .sim pull change → event line at a blocked reader, and → select() wake-up
  results.events = {};
  for (const t of TRANSPORTS) {
    const mnt = daemons[t].mnt;
    log(`events (${t}): pull change → event line; pull change → select() wake-up on value`);
    await control(mnt, 'new_device', 'gpiochip0 8');
    await writeFile(join(mnt, 'gpio-agg.1', 'line0', 'edge'), 'both');
    const pull = join(mnt, '.sim', 'gpiochip0', 'sim_gpio8', 'pull');
    const eventSamples = { total: [], pullWrite: [] };
    const selectSamples = { wake: [], pullWrite: [] };
    let canPoll = true;
    for (let round = 0; round < ROUNDS; round++) {
      const out = runClient(client, ['event', join(mnt, 'gpio-agg.1', 'line0', 'events'), pull, Math.round(400 * SCALE)]);
      for (const line of out.trim().split('\n')) {
        const [total, write] = line.split(' ').map(Number);
        eventSamples.total.push(total);
        eventSamples.pullWrite.push(write);
      }
      if (!canPoll) continue;
      const sel = runClient(client, ['select', join(mnt, 'gpio-agg.1', 'line0', 'value'), pull, Math.round(200 * SCALE)]).trim();
      if (sel === 'nopoll') { canPoll = false; continue; }
      for (const line of sel.split('\n')) {
        const [wake, write] = line.split(' ').map(Number);
        selectSamples.wake.push(wake);
        selectSamples.pullWrite.push(write);
      }
    }
    results.events[AGG(t)] = {
      pullToEvent: summary(eventSamples.total),
      pullWriteAlone: summary(eventSamples.pullWrite),
      selectWake: canPoll ? summary(selectSamples.wake) : null,
      selectPullWrite: canPoll ? summary(selectSamples.pullWrite) : null,
      poll: canPoll,
    };
  }

  // --- Scale: new_device of 1/32/512 lines, ls -lR ----------------------------
  log('scale: new_device 1/32/512 lines, ls -lR of 512 lines');
  results.scale = {};
  for (const t of TRANSPORTS) {
    const mnt = daemons[t].mnt;
    const creation = { 1: [], 32: [], 512: [] };
    const deletion = { 1: [], 32: [], 512: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of [1, 32, 512]) {
        creation[n].push(await timed(() => control(mnt, 'new_device', `gpiochip1 0-${n - 1}`)));
        deletion[n].push(await timed(() => control(mnt, 'delete_device', 'gpio-agg.2')));
      }
    }
    await control(mnt, 'new_device', 'gpiochip1 0-511');
    results.scale[AGG(t)] = {
      newDeviceMs: Object.fromEntries(Object.entries(creation).map(([n, ms]) => [n, msSummary(ms)])),
      deleteDeviceMs: Object.fromEntries(Object.entries(deletion).map(([n, ms]) => [n, msSummary(ms)])),
    };
  }
  // The same tree on the floors and on tmpfs, timed in the same rounds.
  const shape = treeShape(daemons[TRANSPORTS[0]].mnt, 'gpio-agg.2');
  const treeFile = join(work, 'tree.json');
  writeFileSync(treeFile, JSON.stringify(shape));
  const treeText = join(work, 'tree.txt');
  writeFileSync(treeText, treeLines(shape));
  const treeFloor = await startFloor(work, { name: 'floor-tree', tree: treeFile });
  const treeFloorC = await startFloorC(work, floorC, { name: 'floor-c-tree', tree: treeText });
  const tmpTree = tmpfsTree(shm, shape);
  const lsDirs = {
    ...Object.fromEntries(TRANSPORTS.map((t) => [AGG(t), join(daemons[t].mnt, 'gpio-agg.2')])),
    [C_FLOOR]: join(treeFloorC.mnt, 'gpio-agg.2'),
    [FN_FLOOR]: join(treeFloor.mnt, 'gpio-agg.2'),
    tmpfs: tmpTree,
  };
  const lsTimes = {};
  let lsEntries = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [target, dir] of rotate(Object.entries(lsDirs), round)) {
      const { ms, entries } = timeLs(dir);
      (lsTimes[target] ??= []).push(ms);
      if (target === AGG(TRANSPORTS[0])) lsEntries = entries;
    }
  }
  results.lsLR512 = { entries: lsEntries, ms: {}, ratioToTmpfs: {} };
  for (const [target, times] of Object.entries(lsTimes)) {
    results.lsLR512.ms[target] = msSummary(times);
    results.lsLR512.ratioToTmpfs[target] = round2(median(times.map((x, i) => x / lsTimes.tmpfs[i])));
  }
  await treeFloor.stop();
  await treeFloorC.stop();
  rmSync(tmpTree, { recursive: true, force: true });
  for (const t of TRANSPORTS) await control(daemons[t].mnt, 'delete_device', 'gpio-agg.2');

  // --- Readers: 1000 blocked events readers; idle non-blocking readers of another user under an edge storm
  results.readers = {};
  for (const t of TRANSPORTS) {
    log(`readers (${t}): ${BLOCKED_READERS} blocked events readers; ${IDLE_READERS} idle readers as uid ${IDLE_UID} × ${IDLE_EDGES} edges`);
    results.readers[AGG(t)] = {
      blocked: await blockedReaders(client, daemons[t], 'gpio-agg.1', 'sim_gpio8'),
      idle: await idleReaders(client, daemons[t]),
    };
  }
  for (const t of TRANSPORTS) await daemons[t].stop();
  await cFloor.stop();

  // --- Memory and restore: 100 aggregators of 32 lines -------------------------
  results.memory = {};
  for (const t of TRANSPORTS) {
    log(`memory (${t}): 100 aggregators × 32 lines; start-up and restore`);
    results.memory[AGG(t)] = await memoryAndRestore(work, board, t);
  }
}

/** Read the sim line's pull and write the other one: one edge, whatever the line's state. */
async function togglePull(mnt, simLine) {
  const pull = join(mnt, '.sim', 'gpiochip0', simLine, 'pull');
  const now = (await readFile(pull, 'utf8')).trim();
  await writeFile(pull, now === 'pull-up' ? 'pull-down' : 'pull-up');
}

function threadCount(pid) {
  return readdirSync(`/proc/${pid}/task`).length;
}

/** A child client with stdout collected; `ready` resolves at its "ready" line, `done` at exit. */
function spawnClient(command, args, { uid } = {}) {
  const argv = uid === undefined ? [command, ...args] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', command, ...args];
  const child = spawn(argv[0], argv.slice(1).map(String), { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady;
  const ready = new Promise((resolveReady) => { onReady = resolveReady; });
  child.stdout.on('data', (c) => { out += c; if (out.includes('ready\n')) onReady(); });
  child.stderr.on('data', (c) => { err += c; });
  const done = new Promise((resolveDone) => child.on('exit', (code, signal) => resolveDone({ code, signal })));
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  cleanups.push(async () => { kill(); await done; });
  return { child, ready, done, kill, output: () => out, errors: () => err };
}

async function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until the daemon's thread count has not changed for `quietMs` (at most `limitMs`). */
async function threadsSettled(pid, quietMs = 1000, limitMs = 20000) {
  const deadline = Date.now() + limitMs;
  let last = threadCount(pid);
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 100));
    const n = threadCount(pid);
    if (n !== last) { last = n; since = Date.now(); }
  }
  return last;
}

/**
 * BLOCKED_READERS threads of one client, each blocked in read() of its own
 * `events` fd of one line; then one edge releases them all. Daemon threads
 * and RSS are taken while they are all blocked.
 */
async function blockedReaders(client, daemon, agg, simLine) {
  const pid = daemon.child.pid;
  await new Promise((r) => setTimeout(r, 500));
  const before = { threads: threadCount(pid), rssKb: rssKb(pid).rss };
  const readers = spawnClient(client, ['block', join(daemon.mnt, agg, 'line0', 'events'), BLOCKED_READERS]);
  try {
    await within(readers.ready, 60000, `${BLOCKED_READERS} blocked readers`);
    const threads = await threadsSettled(pid);
    await new Promise((r) => setTimeout(r, 500));
    const during = { threads: threadCount(pid), rssKb: rssKb(pid).rss };
    const t0 = process.hrtime.bigint();
    await togglePull(daemon.mnt, simLine);
    const exit = await within(readers.done, 60000, 'blocked readers after an edge').catch((err) => ({ error: err.message }));
    const releaseMs = round2(Number(process.hrtime.bigint() - t0) / 1e6);
    const answered = Number(readers.output().trim().split('\n').pop());
    await new Promise((r) => setTimeout(r, 500));
    return {
      readers: BLOCKED_READERS,
      threadsBefore: before.threads,
      threadsWhileBlocked: Math.max(threads, during.threads),
      rssGrowthMB: round2((during.rssKb - before.rssKb) / 1024),
      rssBeforeMB: round2(before.rssKb / 1024),
      releasedByOneEdge: exit.error === undefined && exit.code === 0 ? answered : 0,
      releaseMs,
      threadsAfter: threadCount(pid),
      ...(exit.error === undefined ? {} : { error: exit.error }),
    };
  } finally {
    readers.kill();
    await readers.done;
  }
}

/** Only the idle-readers flood, on each transport (the probe reads gpio-agg.0/line1/value). */
async function measureIdleReaders(work, board, client, results) {
  results.readers = {};
  for (const t of TRANSPORTS) {
    const daemon = await startDaemon(work, `agg-${t}`, board, { transport: t });
    await control(daemon.mnt, 'new_device', 'gpiochip0 0-7');
    log(`readers (${t}): ${IDLE_READERS} idle readers as uid ${IDLE_UID} × ${IDLE_EDGES} edges`);
    results.readers[AGG(t)] = { idle: await idleReaders(client, daemon) };
    await daemon.stop();
  }
}

/**
 * IDLE_READERS open non-blocking `events` fds of one line, held by a
 * non-root user (uid IDLE_UID) who never reads again, while IDLE_EDGES edges
 * arrive on that line. A root client meanwhile reads another line's value
 * every millisecond: its latency is what the flood costs everybody else.
 */
async function idleReaders(client, daemon) {
  const pid = daemon.child.pid;
  const agg = await newDevice(daemon.mnt, 'gpiochip0 9');
  await writeFile(join(daemon.mnt, agg, 'line0', 'edge'), 'both');
  const pull = join(daemon.mnt, '.sim', 'gpiochip0', 'sim_gpio9', 'pull');
  await new Promise((r) => setTimeout(r, 500));
  const rssBefore = rssKb(pid).rss;
  const idle = spawnClient(client, ['idle', join(daemon.mnt, agg, 'line0', 'events'), IDLE_READERS], { uid: IDLE_UID });
  const probe = spawnClient(client, ['probe', join(daemon.mnt, 'gpio-agg.0', 'line1', 'value')]);
  try {
    await within(idle.ready, 120000, `${IDLE_READERS} idle readers`).catch((err) => { throw new Error(`${err.message}: ${idle.errors()}`); });
    const rssOpen = rssKb(pid).rss;
    const storm = spawnClient(client, ['edges', pull, IDLE_EDGES]);
    const exit = await within(storm.done, 30 * 60000, `${IDLE_EDGES} edges`);
    if (exit.code !== 0) throw new Error(`edges client failed: ${storm.errors()}`);
    const edgesNs = Number(storm.output().trim());
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssKb(pid);
    probe.child.stdin.end();
    await within(probe.done, 30000, 'probe client');
    const [n, med, p99, max] = probe.output().trim().split(' ').map(Number);
    idle.child.stdin.end();
    await within(idle.done, 120000, 'idle readers closing');
    await new Promise((r) => setTimeout(r, 1000));
    return {
      readers: IDLE_READERS, edges: IDLE_EDGES, uid: IDLE_UID,
      rssBeforeMB: round2(rssBefore / 1024),
      rssGrowthOpenMB: round2((rssOpen - rssBefore) / 1024),
      rssGrowthMB: round2((after.rss - rssBefore) / 1024),
      peakRssMB: round2(after.hwm / 1024),
      rssAfterCloseMB: round2(rssKb(pid).rss / 1024),
      edgesMs: round2(edgesNs / 1e6),
      usPerEdge: round2(edgesNs / 1e3 / IDLE_EDGES),
      otherReads: { n, medianUs: round2(med / 1000), p99Us: round2(p99 / 1000), maxMs: round2(max / 1e6) },
    };
  } finally {
    probe.kill();
    idle.kill();
    await Promise.all([probe.done, idle.done]);
  }
}

/** Write a spec to agg/new_device; the name of the aggregator it made (from agg/devices). */
async function newDevice(mnt, spec) {
  const names = async () => (await readFile(join(mnt, 'agg', 'devices'), 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
  const before = new Set(await names());
  await control(mnt, 'new_device', spec);
  const made = (await names()).filter((n) => !before.has(n));
  if (made.length !== 1) throw new Error(`new_device "${spec}": cannot tell which aggregator it made`);
  return made[0];
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
    else if (arg === '--profiles-only') parsed.profilesOnly = true;
    else if (arg === '--idle-readers-only') parsed.idleReadersOnly = true;
    else if (arg === '--vm') parsed.vm = true;
    else if (arg === '--pin') parsed.pin = true;
    else {
      console.error(`bench: unknown argument ${arg}\nusage: npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--profiles-only] [--idle-readers-only] [--vm] [--pin]`);
      process.exit(2);
    }
  }
  if (parsed.profilesOnly && parsed.noProfile) {
    console.error('bench: --profiles-only and --no-profile exclude each other');
    process.exit(2);
  }
  return parsed;
}

/** The transports `gpio-aggfs mount` offers (its --help lists --transport's choices); `.option` says whether it has the option. */
function detectTransports() {
  const help = spawnSync(process.execPath, [BIN, 'mount', '--help'], { encoding: 'utf8' });
  const text = `${help.stdout}${help.stderr}`.replace(/\s+/g, ' ');
  if (!text.includes('--transport')) return Object.assign(['fuse-native'], { option: false });
  const choices = /--transport.*?\[choices: ([^\]]+)\]/.exec(text)?.[1];
  const list = choices === undefined ? ['direct', 'fuse-native'] : [...choices.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  return Object.assign(list, { option: true });
}

function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Build the C libfuse3 floor (test/bench/floor-c.c) with libfuse3's pkg-config flags. */
function buildFloorC(work) {
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' });
  if (flags.error !== undefined || flags.status !== 0) {
    throw new Error(`the C libfuse3 floor needs pkg-config and libfuse3's headers (Debian: libfuse3-dev, installed by .ci/install): ${flags.error?.message ?? flags.stderr.trim()}`);
  }
  const out = join(work, 'floor-c-binary');
  execFileSync('cc', ['-O2', '-Wall', '-o', out, join(HERE, 'floor-c.c'), ...flags.stdout.trim().split(/\s+/)], { stdio: 'inherit' });
  return out;
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

/**
 * `debug`: a file that receives the daemon's stderr, with libfuse's debug
 * trace on (one `unique: N, opcode: X (n), nodeid: …, pid: P` line per request).
 */
async function startDaemon(work, name, board, { nodeArgs = [], args = [], debug, transport } = {}) {
  const base = join(work, name);
  mkdirSync(base, { recursive: true });
  const mnt = join(base, 'mnt');
  const t0 = process.hrtime.bigint();
  const transportArgs = TRANSPORT_OPTION && transport !== undefined ? ['--transport', transport] : [];
  const { child, stop, output } = spawnServer(process.execPath, [...nodeArgs, BIN, 'mount', mnt, '--sim', board, ...transportArgs, ...args], mnt, debug);
  await waitFor(() => exists(join(mnt, 'agg', 'new_device')), 30000, () => child.exitCode !== null,
    () => `gpio-aggfs did not become ready:\n${output()}`);
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { mnt, child, readyMs, stop, output };
}

/**
 * Start a FUSE server process (gpio-aggfs or a floor): `command args`;
 * `debug` is a file for libfuse's request trace (its stderr). stop() ends it
 * (SIGTERM, then SIGKILL after 10 s) and clears its mount; it is also run at exit.
 */
function spawnServer(command, args, mnt, debug) {
  const traceFd = debug === undefined ? undefined : openSync(debug, 'w');
  const env = { ...process.env, DEBUG: debug === undefined ? '' : FUSE_TRACE_DEBUG };
  const child = spawn(...pinned(command, args), { stdio: ['ignore', 'pipe', traceFd ?? 'pipe'], env });
  if (traceFd !== undefined) closeSync(traceFd);
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr?.on('data', (c) => { output += c; });
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
  return { child, stop, output: () => output };
}

/** `tree`: a [path, mode, size] JSON file served beside /value (see floor-fs.mjs); `debug` as for startDaemon. */
async function startFloor(work, { name = 'floor', nodeArgs = [], tree, debug } = {}) {
  const mnt = join(work, name);
  mkdirSync(mnt, { recursive: true });
  const args = [...nodeArgs, join(HERE, 'floor-fs.mjs'), mnt, ...(tree === undefined ? [] : ['--tree', tree])];
  const { child, stop, output } = spawnServer(process.execPath, args, mnt, debug);
  await waitFor(() => output().includes('ready'), 20000, () => child.exitCode !== null, () => `floor-fs failed:\n${output()}`);
  return { mnt, child, stop };
}

/** The C libfuse3 floor (floor-c.c); `tree` is a "<mode> <size> <path>" file, `timeout` its entry/attr timeout in s. */
async function startFloorC(work, binary, { name = 'floor-c', tree, timeout = 1, debug } = {}) {
  const mnt = join(work, name);
  mkdirSync(mnt, { recursive: true });
  const args = [mnt, '--timeout', String(timeout), ...(tree === undefined ? [] : ['--tree', tree]), ...(debug === undefined ? [] : ['--debug'])];
  const { child, stop, output } = spawnServer(binary, args, mnt, debug);
  await waitFor(() => output().includes('ready'), 20000, () => child.exitCode !== null, () => `floor-c failed:\n${output()}`);
  return { mnt, child, stop };
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

/** With --pin: `command args` run on CPU 0 (taskset execs it: the pid stays the command's). */
function pinned(command, args) {
  return options.pin ? ['taskset', ['-c', '0', command, ...args]] : [command, args];
}

/** A latency client (pinned with --pin, like the servers); throughput and reader clients are never pinned. */
function runClient(client, args) {
  const result = spawnSync(...pinned(client, args.map(String)), { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 10 * 60000 });
  if (result.status !== 0) throw new Error(`client ${args.join(' ')} failed${result.signal ? ` (${result.signal}, after 10 minutes at most)` : ''}: ${result.stderr}`);
  return result.stdout;
}

/**
 * N client processes writing for the same wall-clock window; total ops/s
 * (each client's count over the time it ran: a client started late on a
 * loaded machine runs only what is left of the window).
 */
async function concurrentWrites(client, n, pathOf, durationMs) {
  const start = BigInt(Date.now() + 500) * 1000000n;
  const runs = [];
  for (let i = 0; i < n; i++) {
    runs.push(new Promise((done, fail) => {
      const child = spawn(client, ['tput', pathOf(i), String(start), String(durationMs * 1e6)]);
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { err += c; });
      child.on('exit', (code) => {
        if (code !== 0) { fail(new Error(`tput client: ${err}`)); return; }
        const [count, ranNs] = out.trim().split(' ').map(Number);
        done(ranNs > 0 ? count / (ranNs / 1e9) : 0);
      });
    }));
  }
  const rates = await Promise.all(runs);
  return rates.reduce((a, b) => a + b, 0);
}

/** A copy of a tree's shape ([path, mode, size] entries) on tmpfs; returns the copy of its top directory. */
function tmpfsTree(shm, shape) {
  const base = join(shm, 'tree');
  for (const [path, mode, , target] of shape) {
    const at = join(base, path);
    if (target !== undefined) symlinkSync(target, at);
    else if ((mode & 0o170000) === 0o040000) mkdirSync(at, { recursive: true, mode: mode & 0o7777 });
    else writeFileSync(at, '0\n', { mode: mode & 0o7777 });
  }
  return join(base, shape[0][0]);
}

/** The tree file floor-c.c reads: "<octal mode> <size> <path>[\t<link target>]" per line. */
function treeLines(shape) {
  return shape.map(([path, mode, size, target]) => `${mode.toString(8)} ${size} ${path}${target === undefined ? '' : `\t${target}`}\n`).join('');
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

async function memoryAndRestore(work, board, transport) {
  const state = join(work, `state-${transport}.json`);
  const startups = [];
  let daemon;
  for (let i = 0; i < 3; i++) {
    daemon = await startDaemon(work, `mem-${transport}-${i}`, board, { args: ['--state', state], transport });
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
    const restored = await startDaemon(work, `restore-${transport}`, board, { args: ['--state', state], transport });
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

// --- profiles and FUSE requests per operation -----------------------------------

/** The client loops profiled and traced: `lat <op> <path> <batches> <size>` runs (batches + 1) × size ops (one warm-up batch). */
function clientLoop(op, path, batches, size) {
  return { args: ['lat', op, path, batches, size], ops: (batches + 1) * size };
}

/** The shape of a tree under a mount, as floor-fs.mjs --tree takes it: [path inside the mount, mode, size, link target]. */
function treeShape(mnt, top) {
  const entries = [];
  const walk = (rel) => {
    const st = lstatSync(join(mnt, rel));
    entries.push(st.isSymbolicLink() ? [`/${rel}`, st.mode, st.size, readlinkSync(join(mnt, rel))] : [`/${rel}`, st.mode, st.size]);
    if (st.isDirectory()) for (const name of readdirSync(join(mnt, rel)).sort()) walk(`${rel}/${name}`);
  };
  walk(top);
  return entries;
}

/** One `ls -lR`: its time in ms and the files and directories it listed. */
function timeLs(dir) {
  const t0 = process.hrtime.bigint();
  const ls = spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ls.status !== 0) throw new Error(`ls -lR ${dir} failed: ${ls.stderr}`);
  return { ms, entries: ls.stdout.split('\n').filter((l) => /^[-d]/.test(l)).length };
}

/**
 * CPU profiles (node --cpu-prof) of gpio-aggfs and of the floor, each under
 * a pwrite loop, an open+write+close loop and repeated `ls -lR` of a
 * 512-line aggregator (on the floor: a copy of its shape). One process per
 * filesystem; each loop is summarised over its own time window only.
 */
async function profiles(work, board, client) {
  const lsRuns = options.quick ? 2 : 4;
  const windowOf = (name, ops, action) => {
    const t0 = process.hrtime.bigint();
    action();
    const t1 = process.hrtime.bigint();
    return { name, ops, loopMs: Number(t1 - t0) / 1e6, window: [Number(t0 / 1000n), Number(t1 / 1000n)] };
  };
  const loop = (name, spec) => windowOf(name, spec.ops, () => runClient(client, spec.args));
  const lsLoop = (name, dir) => {
    timeLs(dir); // warm-up, outside the window
    return windowOf(name, lsRuns, () => { for (let i = 0; i < lsRuns; i++) timeLs(dir); });
  };
  const summarise = (dir, who, windows) => {
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) return Object.fromEntries(windows.map((w) => [w.name, { error: `no .cpuprofile written by the ${who}` }]));
    const kept = join(tmpdir(), `gpio-aggfs-bench-${who}-${Date.now()}.cpuprofile`);
    writeFileSync(kept, readFileSync(join(dir, file)));
    const profile = JSON.parse(readFileSync(kept, 'utf8'));
    return Object.fromEntries(windows.map((w) => {
      const summary = summariseProfile(profile, { root: ROOT, top: 15, window: w.window });
      return [w.name, {
        file: kept, ops: w.ops, loopMs: round2(w.loopMs), wallUsPerOp: round2((1000 * w.loopMs) / w.ops),
        busyUsPerOp: round2((1000 * summary.busyMs) / w.ops), ...summary,
      }];
    }));
  };
  const owcBatches = Math.max(1, Math.round(20 * SCALE));

  const profiled = {};
  let tree;
  for (const t of TRANSPORTS) {
    const aggDir = join(work, `profile-agg-${t}`);
    const daemon = await startDaemon(work, `prof-${t}`, board, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', aggDir], transport: t });
    await control(daemon.mnt, 'new_device', 'gpiochip0 0');
    const value = join(daemon.mnt, 'gpio-agg.0', 'line0', 'value');
    await writeFile(join(daemon.mnt, 'gpio-agg.0', 'line0', 'direction'), 'out');
    const aggWindows = [
      loop('pwrite', clientLoop('pwrite', value, Math.round(200 * SCALE), 500)),
      loop('owc', clientLoop('owc', value, owcBatches, 200)),
    ];
    // Throughput: is the one JavaScript thread saturated with 4 clients? (busy ÷ the 0.8 s)
    for (const n of [1, 4]) {
      const t0 = process.hrtime.bigint();
      const rate = await concurrentWrites(client, n, () => value, 800);
      const t1 = process.hrtime.bigint();
      aggWindows.push({ name: `tput${n}`, ops: Math.round(rate * 0.8), loopMs: Number(t1 - t0) / 1e6, window: [Number(t0 / 1000n), Number(t1 / 1000n)] });
    }
    await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
    tree = join(work, 'tree-profile.json');
    writeFileSync(tree, JSON.stringify(treeShape(daemon.mnt, 'gpio-agg.1')));
    aggWindows.push(lsLoop('lsLR', join(daemon.mnt, 'gpio-agg.1')));
    // Edges on gpiochip0 8 waking a select() reader of its value (gpio-agg.2 line0); not on a
    // transport without poll (the client prints 'nopoll').
    await control(daemon.mnt, 'new_device', 'gpiochip0 8');
    await writeFile(join(daemon.mnt, 'gpio-agg.2', 'line0', 'edge'), 'both');
    const selectArgs = ['select', join(daemon.mnt, 'gpio-agg.2', 'line0', 'value'), join(daemon.mnt, '.sim', 'gpiochip0', 'sim_gpio8', 'pull'), Math.round(400 * SCALE)];
    let polled = true;
    const selectWindow = windowOf('selectWake', selectArgs[3], () => { polled = runClient(client, selectArgs).trim() !== 'nopoll'; });
    if (polled) aggWindows.push(selectWindow);
    await daemon.stop();
    profiled[AGG(t)] = summarise(aggDir, `daemon-${t}`, aggWindows);
  }

  const floorDir = join(work, 'profile-floor');
  const floor = await startFloor(work, { name: 'floor-prof', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', floorDir], tree });
  const floorWindows = [
    loop('pwrite', clientLoop('pwrite', join(floor.mnt, 'value'), Math.round(200 * SCALE), 500)),
    loop('owc', clientLoop('owc', join(floor.mnt, 'value'), owcBatches, 200)),
    loop('owcSameDepth', clientLoop('owc', join(floor.mnt, 'gpio-agg.0', 'line0', 'value'), owcBatches, 200)),
    lsLoop('lsLR', join(floor.mnt, 'gpio-agg.1')),
  ];
  await floor.stop();
  profiled[FN_FLOOR] = summarise(floorDir, 'floor', floorWindows);
  return profiled;
}

/**
 * Median latency of each traced operation in the main (untraced) measurements,
 * divided by its requests: the cost of one FUSE round trip.
 */
function timePerRequest(results) {
  for (const row of results.requests.rows) {
    const { op, target } = row.timedAs;
    const timed = op === 'lsLR512'
      ? results.lsLR512?.ms[target] && { median: 1000 * results.lsLR512.ms[target].median }
      : results.latency[op].targets[target];
    if (timed === undefined) continue;
    row.medianUs = round2(timed.median);
    row.usPerRequest = round2(timed.median / row.total);
  }
}

/** Wait until a growing trace file has stopped growing (libfuse writes it from its own threads). */
async function settled(file) {
  let last = -1;
  let quiet = 0;
  while (quiet < 4) {
    await new Promise((r) => setTimeout(r, 50));
    const size = statSync(file).size;
    quiet = size === last ? quiet + 1 : 0;
    last = size;
  }
  return last;
}

function readFrom(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const length = statSync(file).size - offset;
    const buf = Buffer.alloc(Math.max(0, length));
    let done = 0;
    while (done < length) done += readSync(fd, buf, done, length - done, offset + done);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `action` (which returns the pid of the process it ran) and counts the
 * FUSE requests the trace shows in the meantime: those from that pid, plus
 * those the kernel sends on its own (pid 0: RELEASE after the last close,
 * FORGET…). Requests of any other process are counted apart, not included.
 */
async function traceRequests(trace, ops, action) {
  const from = await settled(trace);
  const pid = action();
  await settled(trace);
  const counts = {};
  let total = 0;
  let otherProcesses = 0;
  for (const m of readFrom(trace, from).matchAll(/^unique: \d+, opcode: (\w+) \(\d+\), nodeid: \d+, insize: \d+, pid: (\d+)/gm)) {
    if (Number(m[2]) !== pid && m[2] !== '0') { otherProcesses++; continue; }
    counts[m[1]] = (counts[m[1]] ?? 0) + 1;
    total++;
  }
  const perOp = Object.fromEntries(Object.entries(counts).map(([op, n]) => [op, round2(n / ops)]));
  return { ops, perOp, total: round2(total / ops), requests: total, otherProcesses };
}

/**
 * FUSE requests per client operation, from libfuse's debug trace (a separate
 * run: the trace slows every request down). gpio-aggfs and the floor,
 * including the floor's file at gpio-aggfs's depth and the floor serving a
 * copy of the 512-line aggregator's tree.
 */
async function requestsPerOperation(work, board, client, floorC) {
  const size = 100;
  const runLoop = (spec) => () => {
    const result = spawnSync(client, spec.args.map(String), { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`client ${spec.args.join(' ')} failed: ${result.stderr}`);
    return result.pid;
  };
  const runLs = (dir) => () => {
    const ls = spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (ls.status !== 0) throw new Error(`ls -lR ${dir} failed: ${ls.stderr}`);
    return ls.pid;
  };
  const rows = [];
  const row = async (target, operation, path, depth, trace, spec, timedAs) => {
    rows.push({ target, operation, path, depth, timedAs, ...(await traceRequests(trace, spec.ops, runLoop(spec))) });
  };
  const lsRow = async (target, dir, trace, timedAs) => {
    runLs(dir)(); // warm-up: first-use requests (e.g. an unsupported GETXATTR) are not per-operation costs
    const entries = spawnSync('find', [dir], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.trim().split('\n').length;
    const counted = await traceRequests(trace, 1, runLs(dir));
    rows.push({ target, operation: 'ls -lR, 512-line aggregator', path: dir, depth: 1, timedAs, entries, ...counted,
      totalPerEntry: round2(counted.total / entries) });
  };

  // libfuse's trace exists where libfuse serves: gpio-aggfs on fuse-native, the two floors.
  // (Without fuse-native, the daemon only lends its 512-line tree to the floors.)
  const traced = TRANSPORTS.includes('fuse-native') ? 'fuse-native' : undefined;
  const aggTrace = join(work, 'trace-gpio-aggfs.log');
  const daemon = await startDaemon(work, 'trace', board, { debug: aggTrace, transport: traced ?? TRANSPORTS[0] });
  await control(daemon.mnt, 'new_device', 'gpiochip0 0');
  await writeFile(join(daemon.mnt, 'gpio-agg.0', 'line0', 'direction'), 'out');
  await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
  if (traced !== undefined) {
    const value = join(daemon.mnt, 'gpio-agg.0', 'line0', 'value');
    const agg = AGG(traced);
    await row(agg, 'pwrite, open fd', value, 3, aggTrace, clientLoop('pwrite', value, 1, size), { op: 'pwrite', target: agg });
    await row(agg, 'open+write+close', value, 3, aggTrace, clientLoop('owc', value, 1, size), { op: 'owc', target: agg });
    await lsRow(agg, join(daemon.mnt, 'gpio-agg.1'), aggTrace, { op: 'lsLR512', target: agg });
  }
  const shape = treeShape(daemon.mnt, 'gpio-agg.1');
  const tree = join(work, 'tree-trace.json');
  writeFileSync(tree, JSON.stringify(shape));
  const treeText = join(work, 'tree-trace.txt');
  writeFileSync(treeText, treeLines(shape));
  await daemon.stop();

  const cTrace = join(work, 'trace-floor-c.log');
  const cFloor = await startFloorC(work, floorC, { name: 'floor-c-trace', tree: treeText, debug: cTrace });
  const cValue = join(cFloor.mnt, 'gpio-agg.0', 'line0', 'value');
  await row(C_FLOOR, 'pwrite, open fd', cValue, 3, cTrace, clientLoop('pwrite', cValue, 1, size), { op: 'pwrite', target: C_FLOOR });
  await row(C_FLOOR, 'open+write+close', cValue, 3, cTrace, clientLoop('owc', cValue, 1, size), { op: 'owc', target: C_FLOOR });
  await lsRow(C_FLOOR, join(cFloor.mnt, 'gpio-agg.1'), cTrace, { op: 'lsLR512', target: C_FLOOR });
  await cFloor.stop();

  const floorTrace = join(work, 'trace-floor.log');
  const floor = await startFloor(work, { name: 'floor-trace', tree, debug: floorTrace });
  const rootValue = join(floor.mnt, 'value');
  const deepValue = join(floor.mnt, 'gpio-agg.0', 'line0', 'value');
  await row(FN_FLOOR, 'pwrite, open fd', rootValue, 1, floorTrace, clientLoop('pwrite', rootValue, 1, size), { op: 'pwrite', target: FN_FLOOR });
  await row(FN_FLOOR, 'open+write+close', rootValue, 1, floorTrace, clientLoop('owc', rootValue, 1, size), { op: 'owc', target: FN_FLOOR });
  await row(FN_FLOOR, 'open+write+close', deepValue, 3, floorTrace, clientLoop('owc', deepValue, 1, size), { op: 'owc', target: FN_FLOOR_DEEP });
  await lsRow(FN_FLOOR, join(floor.mnt, 'gpio-agg.1'), floorTrace, { op: 'lsLR512', target: FN_FLOOR });
  await floor.stop();
  for (const r of rows) r.path = r.path.slice(work.length + 1);
  return {
    method: `libfuse debug trace (DEBUG=${FUSE_TRACE_DEBUG}); requests from the client's pid plus kernel-initiated ones (pid 0), divided by client operations`,
    rows,
  };
}

function runVm() {
  const result = spawnSync('bash', [join(ROOT, 'test', 'vm', 'run.sh'), '--', 'bash', 'test/bench/vm-bench.sh'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH-VM-JSON '));
  if (line === undefined) return { error: `vm-bench produced no result (exit ${result.status})` };
  return JSON.parse(line.slice('BENCH-VM-JSON '.length));
}

/** Each target for each transport: value, met. A target nothing measured (e.g. --profiles-only) is left out. */
function evaluateTargets(r) {
  const rows = [];
  for (const target of TARGETS) {
    const byTransport = {};
    for (const t of TRANSPORTS) {
      const value = target.value(r, AGG(t));
      if (value === undefined) continue;
      const met = typeof value === 'number' && (target.atLeast ? value >= target.limit : target.name.includes('≤') ? value <= target.limit : value < target.limit);
      byTransport[t] = { value, met };
    }
    if (Object.keys(byTransport).length > 0) rows.push({ name: target.name, limit: target.limit, unit: target.unit, byTransport });
  }
  return rows;
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

function formatUs(us) {
  if (us === undefined) return '';
  return us >= 10000 ? `${round2(us / 1000)} ms` : `${round2(us)} µs`;
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function printTable(r) {
  const m = r.meta;
  console.log(`\ngpio-aggfs benchmark — ${m.date}, ${m.cpus}× ${m.cpu}, node ${m.node}, kernel ${m.kernel}, ${m.rounds} rounds${m.quick ? ' (quick)' : ''}, pinned: ${m.pinned}`);
  console.log(`transports: ${m.transports.join(', ')}${m.transportOption ? '' : ' (this build has no --transport option)'}; load average (1/5/15 min) before ${m.loadBefore}, after ${m.loadAfter}`);
  const cell = (s) => (s === undefined || s === null ? '' : `${s.median} / ${s.p99}`);
  if (r.latency) printMeasurements(r, cell);
  else if (r.readers) printIdleReaders(r);
  printRest(r, cell);
}

/** The idle-readers rows of the readers table (issue 11: RSS growth and other clients' reads). */
function idleReaderRows(r, aggs) {
  const id = (a) => r.readers[a].idle;
  return [
    [`${IDLE_READERS} idle non-blocking readers (uid ${IDLE_UID}) × ${IDLE_EDGES} edges: RSS before, MB`, ...aggs.map((a) => id(a).rssBeforeMB)],
    ['  RSS growth after opening, MB; after the edges, MB', ...aggs.map((a) => `+${id(a).rssGrowthOpenMB}; +${id(a).rssGrowthMB}`)],
    ['  peak RSS (VmHWM), MB; RSS after the readers closed, MB', ...aggs.map((a) => `${id(a).peakRssMB}; ${id(a).rssAfterCloseMB}`)],
    ['  the edges: total ms; µs per edge', ...aggs.map((a) => `${id(a).edgesMs}; ${id(a).usPerEdge}`)],
    ['  another client\'s value pread meanwhile: median µs / p99 µs / max ms (n)', ...aggs.map((a) => {
      const o = id(a).otherReads;
      return `${o.medianUs} / ${o.p99Us} / ${o.maxMs} (${o.n})`;
    })],
  ];
}

function printIdleReaders(r) {
  const aggs = TRANSPORTS.map(AGG);
  console.log('\nIdle readers of events');
  table(['measurement', ...aggs], idleReaderRows(r, aggs));
}

function printMeasurements(r, cell) {
  const aggs = TRANSPORTS.map(AGG);
  console.log('\nLatency per op, µs: median / p99 (samples pooled over batches and interleaved rounds).');
  console.log(`"${C_FLOOR}": libfuse3 low-level API in C (test/bench/floor-c.c), entry/attr timeouts 1 s; "${C_FLOOR_0}": the same with timeouts 0.`);
  console.log('Both serve the value file where gpio-aggfs has it (/gpio-agg.0/line0/value); the fuse-native floor serves /value, "same depth" that path.');
  const latencyTargets = Object.keys(Object.values(r.latency)[0].targets);
  table(['operation', ...latencyTargets, 'n'],
    Object.values(r.latency).map((row) => [row.label, ...latencyTargets.map((t) => cell(row.targets[t])), row.targets[latencyTargets[0]].n]));

  console.log('\nRatios, paired per round (median ÷ median of the other in the same round; the median of those)');
  const rows = [];
  for (const row of Object.values(r.latency)) {
    for (const a of aggs) {
      const x = row.ratios[a];
      rows.push([row.label, a, `${x[C_FLOOR]}×`, `${x[C_FLOOR_0]}×`, `${x[FN_FLOOR]}×`, `${x[FN_FLOOR_DEEP]}×`, `${x.tmpfs}×`]);
    }
    rows.push([row.label, `${C_FLOOR} ÷ tmpfs; fuse-native floor (same depth) ÷ C floor`, '', '', '', `${row.ratios[FN_FLOOR_DEEP][C_FLOOR]}×`, `${row.ratios[C_FLOOR].tmpfs}×`]);
  }
  table(['operation', 'who', `÷ ${C_FLOOR}`, `÷ ${C_FLOOR_0}`, `÷ ${FN_FLOOR}`, `÷ ${FN_FLOOR_DEEP}`, '÷ tmpfs'], rows);

  console.log('\nThroughput, value writes per second (pwrite, open fd), all clients together');
  const tputTargets = Object.keys(r.throughput.byClients[1]);
  table(['clients', ...tputTargets], [
    ...Object.entries(r.throughput.byClients).map(([n, row]) => [n, ...tputTargets.map((t) => row[t])]),
    ['4 ÷ 1 (paired)', ...tputTargets.map((t) => `${r.throughput.scaling4[t]}×`)],
  ]);

  console.log('\nEvents, µs: median / p99 (edge made by a .sim pull write; the pull write is open+write+close)');
  const ev = (a) => r.events[a];
  table(['measurement', ...aggs], [
    ['pull write → event line read by a blocked events reader', ...aggs.map((a) => cell(ev(a).pullToEvent))],
    ['  of which: the pull write itself', ...aggs.map((a) => cell(ev(a).pullWriteAlone))],
    ['pull write() start → select() exceptfds wake-up on value', ...aggs.map((a) => (ev(a).poll ? cell(ev(a).selectWake) : 'no poll'))],
    ['  the pull write() call alone', ...aggs.map((a) => (ev(a).poll ? cell(ev(a).selectPullWrite) : ''))],
    ['n (events / select wake-ups)', ...aggs.map((a) => `${ev(a).pullToEvent.n} / ${ev(a).selectWake?.n ?? 0}`)],
  ]);

  console.log('\nScale, ms: median / p99');
  const sc = (a) => r.scale[a];
  table(['measurement', ...aggs], [
    ['new_device, 1 line', ...aggs.map((a) => cell(sc(a).newDeviceMs[1]))],
    ['new_device, 32 lines', ...aggs.map((a) => cell(sc(a).newDeviceMs[32]))],
    ['new_device, 512 lines', ...aggs.map((a) => cell(sc(a).newDeviceMs[512]))],
    ['delete_device, 512 lines', ...aggs.map((a) => cell(sc(a).deleteDeviceMs[512]))],
  ]);
  console.log(`\nls -lR of a 512-line aggregator (${r.lsLR512.entries} entries), the same tree on the floors and on tmpfs, ms: median / p99`);
  table(['who', 'ls -lR', '÷ tmpfs', 'n'], Object.entries(r.lsLR512.ms).map(([who, ms]) => [who, cell(ms), `${r.lsLR512.ratioToTmpfs[who]}×`, ms.n]));

  console.log('\nReaders of events');
  const bl = (a) => r.readers[a].blocked;
  table(['measurement', ...aggs], [
    [`${BLOCKED_READERS} readers blocked in read(): daemon threads before → while blocked`, ...aggs.map((a) => `${bl(a).threadsBefore} → ${bl(a).threadsWhileBlocked}`)],
    ['  RSS before, MB → growth while blocked, MB', ...aggs.map((a) => `${bl(a).rssBeforeMB} → +${bl(a).rssGrowthMB}`)],
    ['  readers released by one edge; time to release all, ms', ...aggs.map((a) => `${bl(a).releasedByOneEdge}; ${bl(a).releaseMs}${bl(a).error ? ` (${bl(a).error})` : ''}`)],
    ...idleReaderRows(r, aggs),
  ]);

  console.log('\nMemory and start-up');
  const mem = (a) => r.memory[a];
  table(['measurement', ...aggs], [
    ['start-up, empty state (spawn → agg/new_device exists), ms', ...aggs.map((a) => cell(mem(a).startupEmptyMs))],
    ['RSS, no aggregators, MB', ...aggs.map((a) => mem(a).rssEmptyMB)],
    ['RSS, 100 aggregators × 32 lines, MB', ...aggs.map((a) => mem(a).rss100x32MB)],
    ['peak RSS (VmHWM), MB', ...aggs.map((a) => mem(a).peakRss100x32MB)],
    ['creating 100 × 32 lines by new_device, ms', ...aggs.map((a) => mem(a).create100x32Ms)],
    ['restore of 100 × 32 lines (start with --state until agg/devices lists 100), ms', ...aggs.map((a) => mem(a).restoreMs)],
  ]);
}

function printRest(r, cell) {
  if (r.vm) {
    console.log('\nVM (QEMU TCG, gpio-sim line; absolute times are emulation-bound, compare ratios), µs: median / p99');
    if (r.vm.error) console.log(`  ${r.vm.error}`);
    else {
      table(['value write', 'latency', 'vs legacy sysfs', 'vs fuse-native floor', 'n'],
        Object.entries(r.vm.write).map(([k, v]) => [k, cell(v), `${v.ratioToSysfs}×`, `${v.ratioToFloor}×`, v.n]));
    }
  }

  if (r.profiles) printProfiles(r.profiles);
  if (r.requests) printRequests(r.requests);

  if (r.targets.length > 0) {
    console.log('\nTargets (measured on this run; met or MISSED)');
    const shown = (t, x) => (x === undefined ? '' : typeof x.value === 'number' ? `${x.value}${t.unit === '×' ? '×' : ` ${t.unit}`} ${x.met ? 'met' : 'MISSED'}` : `${x.value} MISSED`);
    table(['target', ...TRANSPORTS.map(AGG)], r.targets.map((t) => [t.name, ...TRANSPORTS.map((tr) => shown(t, t.byTransport[tr]))]));
  }
}

function printProfiles(profiles) {
  console.log('\nProfiles (node --cpu-prof, main JavaScript thread only; libfuse\'s own thread is not sampled).');
  console.log('Per op: wall time of the client loop, and main-thread busy time, both ÷ client operations, under the profiler.');
  const rows = [];
  for (const [who, windows] of Object.entries(profiles)) {
    for (const [name, p] of Object.entries(windows)) {
      if (p.error) { rows.push([who, PROFILED[name], p.error, '', '', '', '', '', '']); continue; }
      const pct = (o) => p.byOrigin.find((x) => x.origin === o)?.pctOfBusy ?? 0;
      const own = who === FN_FLOOR ? pct('benchmark floor (floor-fs.mjs)') : pct('gpio-aggfs');
      rows.push([who, PROFILED[name], p.ops, formatUs(p.wallUsPerOp), formatUs(p.busyUsPerOp),
        `${own}%`, `${pct('fuse-native')}%`, `${pct('node internals / native')}%`, `${round2(pct('program (native, outside JS)') + pct('gc'))}%`]);
    }
  }
  table(['process', 'loop', 'ops', 'wall/op', 'busy/op', 'own code', 'fuse-native', 'node', 'native+gc'], rows);
  for (const [who, windows] of Object.entries(profiles)) {
    for (const [name, p] of Object.entries(windows)) {
      if (p.error) continue;
      console.log(`\n${who}, ${PROFILED[name]}: ${p.ops} ops in ${p.loopMs} ms (${p.file})`);
      console.log(formatProfile(p));
    }
  }
}

function printRequests(requests) {
  console.log('\nFUSE requests per client operation (libfuse debug trace; the client\'s requests plus the kernel\'s own, e.g. RELEASE, FORGET).');
  const seen = new Set(requests.rows.flatMap((r) => Object.keys(r.perOp)));
  const opcodes = [...OPCODE_ORDER.filter((o) => seen.has(o)), ...[...seen].filter((o) => !OPCODE_ORDER.includes(o)).sort()];
  const timed = requests.rows.some((r) => r.usPerRequest !== undefined);
  table(['target', 'operation', 'depth', 'ops', ...opcodes, 'total', 'per entry', ...(timed ? ['median latency', 'per request'] : [])],
    requests.rows.map((r) => [r.target, r.operation, r.depth, r.ops, ...opcodes.map((o) => r.perOp[o] ?? 0), r.total,
      r.totalPerEntry === undefined ? '' : `${r.totalPerEntry} (${r.entries} entries)`,
      ...(timed ? [formatUs(r.medianUs), formatUs(r.usPerRequest)] : [])]));
  if (timed) console.log('  (median latency from the measurements above, without the trace; per request = median latency ÷ total)');
  const others = requests.rows.filter((r) => r.otherProcesses > 0);
  if (others.length > 0) console.log(`  (not counted: ${others.map((r) => `${r.otherProcesses} requests from other processes during ${r.target} ${r.operation}`).join('; ')})`);
}
