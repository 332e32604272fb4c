import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = 'docs/architecture.md';

/** Every `file:name` of the step table (`name` a function, class, or `Class.method`). */
function references(markdown: string): { file: string; name: string }[] {
  const start = markdown.indexOf('## One training step');
  if (start < 0) throw new Error(`${DOC}: no "## One training step" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/`([\w./-]+\.ts):([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)`/g)].map(
    (m) => ({ file: m[1] as string, name: m[2] as string }),
  );
}

const escapeRegExp = (name: string) => name.replace(/\$/g, '\\$');
/** A method, object method or class member defined as `name(` or `name<T>(` at a line's start. */
const memberDefinition = (name: string) =>
  new RegExp(
    `^\\s*(?:(?:public|private|protected|static|async|override|readonly|get)\\s+)*${escapeRegExp(name)}\\s*[(<]`,
    'm',
  );

/** Why `file:name` does not hold, or null when it does. */
function problem(file: string, name: string): string | null {
  const path = join(ROOT, file);
  if (!existsSync(path)) return `${file} does not exist`;
  const source = readFileSync(path, 'utf8');
  const [owner, member] = name.split('.') as [string, string | undefined];
  if (member !== undefined) {
    const classStart = source.search(new RegExp(`\\bclass\\s+${escapeRegExp(owner)}\\b`));
    if (classStart < 0) return `${file} has no class ${owner}`;
    const rest = source.slice(classStart);
    const next = rest.slice(1).search(/\n(?:export\s+)?(?:abstract\s+)?class\s/);
    const body = next < 0 ? rest : rest.slice(0, next + 1);
    return memberDefinition(member).test(body) ? null : `${file}: class ${owner} has no ${member}`;
  }
  const declared = new RegExp(
    `(?:\\bfunction\\s*\\*?\\s*${escapeRegExp(name)}\\b|\\bclass\\s+${escapeRegExp(name)}\\b|\\b(?:const|let)\\s+${escapeRegExp(name)}\\s*=)`,
  );
  return declared.test(source) || memberDefinition(name).test(source)
    ? null
    : `${file} defines no ${name}`;
}

describe(DOC, () => {
  it('every file:function of the training-step table exists', () => {
    const refs = references(readFileSync(join(ROOT, DOC), 'utf8'));
    expect(refs.length).toBeGreaterThan(30);
    expect(refs.map((r) => problem(r.file, r.name)).filter(Boolean)).toEqual([]);
  });

  it('the check rejects a missing file, function, class or method', () => {
    expect(problem('apps/trainer/src/train/no-such-file.ts', 'trainStep')).toMatch(/not exist/);
    expect(problem('apps/trainer/src/train/train-loop.ts', 'noSuchStep')).toMatch(/defines no/);
    expect(problem('apps/trainer/src/train/flat-adam.ts', 'NoSuchClass.apply')).toMatch(/no class/);
    expect(problem('apps/trainer/src/train/flat-adam.ts', 'FlatAdam.noSuchMethod')).toMatch(
      /has no noSuchMethod/,
    );
    // A method of another class in the same file does not count.
    expect(
      problem('packages/amuse-encoder/src/attention.ts', 'SelfAttention.attentionFrom'),
    ).toBeNull();
    expect(
      problem('packages/amuse-encoder/src/attention.ts', 'CrossModalAdapter.attentionFrom'),
    ).toMatch(/has no attentionFrom/);
    expect(problem('apps/trainer/src/train/train-loop.ts', 'trainStep')).toBeNull();
  });
});
