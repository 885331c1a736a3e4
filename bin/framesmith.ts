#!/usr/bin/env node
// The `framesmith` command: start | api | worker | migrate | sim (see --help).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableCompileCache } from 'node:module';
import { registerFastModuleResolution } from '@framesmith/server/cli/module-resolution';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Before the command's modules load: Node keeps their compiled code (our TypeScript's too) on
// disk for the next start, and finds the files of large ES-module packages faster.
enableCompileCache(resolve(rootDir, 'node_modules/.cache/framesmith-compile'));
registerFastModuleResolution();
const { runCli } = await import('@framesmith/server/cli/main');

const { version } = JSON.parse(readFileSync(resolve(rootDir, 'package.json'), 'utf8')) as { version: string };

const result = await runCli(process.argv.slice(2), { rootDir, version, env: process.env });
if (result !== 'running') process.exitCode = result;
