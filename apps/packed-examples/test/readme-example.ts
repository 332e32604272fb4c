import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** The first ```ts block of a README: the example a reader copies first. */
export function firstTypeScriptBlock(readmePath: string): string | null {
  const readme = readFileSync(readmePath, 'utf8');
  const match = /^```(?:ts|typescript)\s*\n([\s\S]*?)^```/m.exec(readme);
  return match == null ? null : (match[1] as string);
}

/**
 * The example as a CommonJS module: its imports stay on top (tsc turns them into require),
 * and the rest, which may use top-level await, runs inside an async main whose rejection
 * fails the process.
 */
export function asCommonJs(example: string): string {
  const source = ts.createSourceFile('example.ts', example, ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const body: string[] = [];
  for (const statement of source.statements) {
    const text = example.slice(statement.getFullStart(), statement.getEnd());
    (ts.isImportDeclaration(statement) ? imports : body).push(text);
  }
  return [
    ...imports.map((text) => text.trim()),
    '',
    'async function main(): Promise<void> {',
    ...body.join('').split('\n'),
    '}',
    '',
    'main().catch((error: unknown) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}
