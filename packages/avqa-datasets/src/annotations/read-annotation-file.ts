import { readFile } from 'node:fs/promises';
import { AnnotationError } from './annotation-error.js';
import {
  type AnnotationSet,
  type ParseAnnotationsOptions,
  parseAnnotations,
} from './parse-annotations.js';

/** Reads and validates a MUSIC-AVQA annotation file; errors name `path`. */
export async function readAnnotationFile(
  path: string,
  options: Omit<ParseAnnotationsOptions, 'source'> = {},
): Promise<AnnotationSet> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    // A UTF-8 BOM is legal in files exported from Windows tools (the v2.0 CSV has one).
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new AnnotationError(path, null, null, `not valid JSON (${(error as Error).message})`);
  }
  return parseAnnotations(json, { ...options, source: path });
}
