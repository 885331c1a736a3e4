#!/usr/bin/env node
// The `framesmith` command: start | api | worker | migrate | sim (see --help).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@framesmith/server/cli/main';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(resolve(rootDir, 'package.json'), 'utf8')) as { version: string };

const result = await runCli(process.argv.slice(2), { rootDir, version, env: process.env });
if (result !== 'running') process.exitCode = result;
