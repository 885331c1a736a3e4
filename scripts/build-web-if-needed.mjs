// Part of `npm start`: builds the web UI when it has sources newer than its last build. A failed
// build is reported and start goes on: the server then serves the previous build, or an API-only page.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const web = new URL('../packages/web/', import.meta.url).pathname;
const say = (msg) => process.stderr.write(`[framesmith] ${msg}\n`);

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

if (!existsSync(join(web, 'index.html'))) process.exit(0);
const built = join(web, 'dist/index.html');
if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(web)) process.exit(0);
say('Building the web UI…');
const result = spawnSync('npm', ['run', 'build', '-w', 'packages/web'], { stdio: 'inherit' });
if (result.status !== 0) say('The web UI did not build; starting with the API only (see the errors above).');
