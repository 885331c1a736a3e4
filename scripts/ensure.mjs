// Installs what `npm start` / `npm test` need on a fresh machine. Plain JavaScript, because it
// runs before node_modules (and the pinned Node 24) exist, on whatever node the machine has.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const mode = process.argv.includes('--test') ? 'test' : 'runtime';
const root = new URL('..', import.meta.url).pathname;
const say = (msg) => process.stderr.write(`[framesmith] ${msg}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const run = (cmd) => execSync(cmd, { stdio: 'inherit', cwd: root });

function npmDepsStale() {
  const marker = `${root}node_modules/.package-lock.json`;
  if (!existsSync(`${root}node_modules/.bin/node`) || !existsSync(marker)) return true;
  return statSync(`${root}package-lock.json`).mtimeMs > statSync(marker).mtimeMs + 1000;
}

function aptInstall(packages) {
  const sudo = process.getuid && process.getuid() === 0 ? '' : has('sudo') ? 'sudo ' : null;
  if (sudo === null) {
    say(`Please install these Debian packages: ${packages.join(' ')} (needs root).`);
    process.exit(1);
  }
  say(`Installing ${packages.join(', ')} with apt-get…`);
  run(`${sudo}apt-get update -qq`);
  run(
    `${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages.join(' ')}`,
  );
}

if (npmDepsStale()) {
  say('Installing npm packages (npm ci)…');
  run('npm ci --no-audit --no-fund');
}

const wanted = [];
if (!has('ffmpeg') || !has('ffprobe')) wanted.push('ffmpeg');
if (!existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')) wanted.push('fonts-dejavu-core');
if (mode === 'test' && !existsSync('/usr/bin/chromium')) wanted.push('chromium');
if (wanted.length > 0) aptInstall(wanted);
