import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/cli/module-resolution.ts';

const hookModule = fileURLToPath(new URL('../../src/cli/module-resolution.ts', import.meta.url));

test('the installed package a path is in, scoped or not', () => {
  assert.equal(
    packageRoot('/app/node_modules/drizzle-orm/pg-core/table.js'),
    '/app/node_modules/drizzle-orm',
  );
  assert.equal(
    packageRoot('/app/node_modules/@electric-sql/pglite/dist/index.js'),
    '/app/node_modules/@electric-sql/pglite',
  );
  // The innermost node_modules decides.
  assert.equal(packageRoot('/app/node_modules/a/node_modules/b/x.js'), '/app/node_modules/a/node_modules/b');
  assert.equal(packageRoot('/app/packages/db/src/schema.ts'), null);
  assert.equal(packageRoot('/app/node_modules/@scope'), null);
});

test('modules found by the fast resolution are the ones Node finds, and a missing file still fails as Node says', async () => {
  // A package of our own with a broken import, installed in a temporary node_modules.
  const dir = mkdtempSync(join(tmpdir(), 'framesmith-resolution-'));
  const pkg = join(dir, 'node_modules', 'broken-pkg');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'broken-pkg', type: 'module' }));
  writeFileSync(
    join(pkg, 'index.js'),
    [
      "export { value, box } from './value.js';",
      "export { box as boxViaLink } from './link.js';",
      "import helper from './cjs/helper.js';",
      'export const fromCommonJs = helper.y;',
      '',
    ].join('\n'),
  );
  writeFileSync(join(pkg, 'value.js'), 'export const value = 42;\nexport const box = {};\n');
  symlinkSync(join(pkg, 'value.js'), join(pkg, 'link.js'));
  // A CommonJS folder inside the module package, as dual builds ship it.
  mkdirSync(join(pkg, 'cjs'));
  writeFileSync(join(pkg, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
  writeFileSync(join(pkg, 'cjs', 'helper.js'), 'exports.y = 41;\n');
  writeFileSync(join(pkg, 'broken.js'), "import './missing.js';\n");
  // A child process: hooks are for the whole process. The observer is registered first, so it
  // runs after ours and sees only what ours hands on to Node.
  const script = `
    import { registerHooks } from 'node:module';
    import { registerFastModuleResolution } from ${JSON.stringify(hookModule)};
    const handedOn = [];
    registerHooks({
      resolve(specifier, context, next) {
        if (specifier.startsWith('.') && context.parentURL?.includes('/node_modules/')) handedOn.push(specifier);
        return next(specifier, context);
      },
    });
    registerFastModuleResolution();
    const pgCore = await import('drizzle-orm/pg-core');
    const table = await import(import.meta.resolve('drizzle-orm/pg-core').replace(/index\\.js$/, 'table.js'));
    const own = await import(${JSON.stringify(pathToFileURL(join(pkg, 'index.js')).href)});
    let missing = null;
    try {
      await import(${JSON.stringify(pathToFileURL(join(pkg, 'broken.js')).href)});
    } catch (e) {
      missing = e.code;
    }
    console.log(JSON.stringify({ handedOn, same: pgCore.PgTable === table.PgTable, value: own.value, oneBox: own.box === own.boxViaLink, fromCommonJs: own.fromCommonJs, missing }));
  `;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
    });
    const result = JSON.parse(stdout) as {
      handedOn: string[];
      same: boolean;
      value: number;
      oneBox: boolean;
      fromCommonJs: number;
      missing: string | null;
    };
    // Relative imports inside installed ES-module packages never reached Node's resolver,
    // except where Node's answer could differ: a symlink, a CommonJS folder, a missing file...
    assert.deepEqual(result.handedOn.sort(), ['./cjs/helper.js', './link.js', './missing.js']);
    assert.equal(result.missing, 'ERR_MODULE_NOT_FOUND');
    assert.equal(result.fromCommonJs, 41);
    // ...and they led to the modules Node's own resolution gives (one instance of each).
    assert.equal(result.same, true);
    assert.equal(result.value, 42);
    assert.equal(result.oneBox, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
