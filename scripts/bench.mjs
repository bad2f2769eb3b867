// Runs benchmarks: `npm run bench -- <name> [args]` runs bench/<name>.ts, which prints JSON figures.
// Without a name, lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3));
if (!name || !existsSync(path.join(root, 'bench', `${name}.ts`))) {
  console.error(`usage: npm run bench -- <name> [args]\nbenchmarks: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 2 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(root, 'bench', `${name}.ts`), ...rest], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
