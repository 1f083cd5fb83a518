// Lets a plain `node` child process run this library's TypeScript sources: compiles .ts files
// with @swc/core (as jest does) and maps @starminer/<lib> to libs/<lib>/src like jest's mapper.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const libsDir = path.resolve(__dirname, '../../..');
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, parent, ...rest) {
  const m = /^@starminer\/([a-z-]+)$/.exec(request);
  const target = m ? path.join(libsDir, m[1], 'src', 'index.ts') : request;
  return originalResolve.call(this, target, parent, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
