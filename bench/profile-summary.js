'use strict';
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, or `npm run bench -- --cpu-prof`):
 * self time by function and by file, heaviest first. Usage: node bench/profile-summary.js <file> [top]
 */
const { readFileSync } = require('node:fs');

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const top = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i += 1) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byFunction = new Map();
const byFile = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const file =
    callFrame.url.replace(/^.*node_modules\//, 'node_modules/').replace(/^.*\/dist\//, 'dist/') ||
    '(native)';
  const name = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const pkg = file.startsWith('node_modules/')
    ? file
        .split('/')
        .slice(0, file.split('/')[1].startsWith('@') ? 3 : 2)
        .join('/')
    : file;
  byFile.set(pkg, (byFile.get(pkg) ?? 0) + us);
  total += us;
}
const print = (title, map) => {
  process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms)\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${(us / 1000).toFixed(1).padStart(9)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${key}\n`,
    );
  }
};
print('Self time by function', byFunction);
print('Self time by file or package', byFile);

// Inclusive (self + callees) synchronous time of the functions named in BENCH_PROFILE_FOCUS.
const focus = (process.env.BENCH_PROFILE_FOCUS ?? '').split(',').filter(Boolean);
if (focus.length > 0) {
  const children = new Map(profile.nodes.map((node) => [node.id, node.children ?? []]));
  const inclusive = (id) =>
    (selfUs.get(id) ?? 0) + children.get(id).reduce((sum, child) => sum + inclusive(child), 0);
  const totals = new Map();
  const visit = (id, inside) => {
    const node = byId.get(id);
    const name = node.callFrame.functionName;
    const hit = focus.includes(name) && !inside.has(name);
    if (hit) totals.set(name, (totals.get(name) ?? 0) + inclusive(id));
    const next = hit ? new Set([...inside, name]) : inside;
    for (const child of children.get(id)) visit(child, next);
  };
  visit(profile.nodes[0].id, new Set());
  process.stdout.write('\nInclusive synchronous time\n');
  for (const [name, us] of totals)
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${name}\n`);
}
