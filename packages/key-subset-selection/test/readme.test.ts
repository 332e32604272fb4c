/**
 * The README's first example, run exactly as written (plus any block marked
 * `<!-- doc-test -->`): every `console.log(...); // expected` line must print `expected`,
 * and the block must type-check under `tsc --strict`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/(<!-- doc-test -->\s*)?```ts\n([\s\S]*?)```/g)]
  .filter((match, index) => index === 0 || match[1] !== undefined)
  .map((match) => match[2]!);
const scratch = fileURLToPath(new URL('../.vitest/', import.meta.url));

const format = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value).replaceAll(',', ', ');

describe('README examples', () => {
  it.each(blocks.map((code, index) => [index, code] as const))(
    'example %i runs as written and prints what its comments say',
    async (index, code) => {
      mkdirSync(scratch, { recursive: true });
      const file = `${scratch}readme-example-${index}.ts`;
      writeFileSync(file, code);
      const printed: string[] = [];
      const log = vi
        .spyOn(console, 'log')
        .mockImplementation((...args) => printed.push(args.map(format).join(' ')));
      try {
        await import(pathToFileURL(file).href);
      } finally {
        log.mockRestore();
        rmSync(file);
      }
      const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)].map((m) =>
        m[1]!.trim(),
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(printed).toEqual(expected);
    },
  );

  it('every example type-checks under --strict', () => {
    const dir = `${scratch}readme-types/`;
    mkdirSync(dir, { recursive: true });
    // `export {}` makes each block a module of its own, as a user's file would be.
    const files = blocks.map((code, index) => {
      const file = `${dir}example-${index}.ts`;
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    try {
      const program = ts.createProgram(files, {
        strict: true,
        noEmit: true,
        noUncheckedIndexedAccess: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        customConditions: ['source'],
        skipLibCheck: true,
        types: ['node'],
      });
      const errors = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
