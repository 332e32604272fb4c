/**
 * A package README's examples, run exactly as written: its first ```ts block plus any block
 * marked `<!-- doc-test -->`. Every `console.log(...); // expected` line must print
 * `expected`, and each block must type-check under `tsc --strict`. A package's
 * test/readme.test.ts calls `describeReadmeExamples(new URL('../', import.meta.url))`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';

const format = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value).replaceAll(',', ', ');

/** The README examples of the package whose folder is `packageDir` (a file URL ending in /). */
export function describeReadmeExamples(packageDir: URL): void {
  const readme = readFileSync(new URL('README.md', packageDir), 'utf8');
  const blocks = [...readme.matchAll(/(<!-- doc-test -->\s*)?```ts\n([\s\S]*?)```/g)]
    .filter((match, index) => index === 0 || match[1] !== undefined)
    .map((match) => match[2]!);
  // Examples are written inside the package, so their imports resolve as a user's would.
  const scratch = fileURLToPath(new URL('.vitest/', packageDir));
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
}
