import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeSafetensors, type NamedArray } from '@sparsify/amuse-encoder';
import * as tf from '@tensorflow/tfjs';

/** What `--init-from` took from a file. */
export interface InitFromOutcome {
  /** Parameters set from the file. */
  loaded: string[];
  /** Parameters the file does not hold: they keep their fresh initialisation. */
  fresh: string[];
  /** SHA-256 of the file's bytes (hex): what config.json records beside the path as given. */
  sha256: string;
  /**
   * The synthetic videos a `sparsify pretrain` backbone was trained on (its metadata's `data`),
   * null for a file that records none (a run's checkpoint, another tool's file).
   */
  pretrainingData: PretrainingData | null;
}

/** Scenes 0..videos-1 of the generator at data seed `seed`: what a backbone saw. */
export interface PretrainingData {
  seed: number;
  videos: number;
}

/**
 * The `data` a `sparsify pretrain` file records in its safetensors metadata, or null when the
 * metadata holds none or not in that form.
 */
export function pretrainingDataOf(
  metadata: Readonly<Record<string, string>>,
): PretrainingData | null {
  if (!metadata.data) return null;
  let data: unknown;
  try {
    data = JSON.parse(metadata.data);
  } catch {
    return null;
  }
  const { seed, videos } = (data ?? {}) as { seed?: unknown; videos?: unknown };
  return typeof seed === 'number' && typeof videos === 'number' ? { seed, videos } : null;
}

/**
 * Starts a model from a safetensors file: a pretrained backbone (`sparsify pretrain`, plain
 * parameter names) or a run's checkpoint (names under `model.`). Every parameter the file
 * holds is loaded (shapes must agree); parameters it lacks (e.g. the question encoder and
 * the answer head a backbone leaves out) keep their seeded initialisation. A file that
 * holds none of the model's parameters is an error, not a silent fresh start.
 * With `expectedSha256` (a resumed run's config.json), a file whose bytes changed since the
 * run started is refused: the path alone does not say which weights a run started from.
 */
export function initFromFile(
  path: string,
  parameters: ReadonlyMap<string, tf.Variable>,
  expectedSha256?: string | null,
): InitFromOutcome {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`--init-from ${path}: ${(error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (expectedSha256 && sha256 !== expectedSha256) {
    throw new Error(
      `--init-from ${path}: its SHA-256 is ${sha256}, but the run started from a file with SHA-256 ${expectedSha256} (config.json, field initFromSha256); the file changed or the path now names another file`,
    );
  }
  const { tensors, metadata } = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  const lookup = (name: string): NamedArray | undefined =>
    tensors.get(name) ?? tensors.get(`model.${name}`);
  const loaded: string[] = [];
  const fresh: string[] = [];
  for (const [name, variable] of parameters) {
    const array = lookup(name);
    if (!array) {
      fresh.push(name);
      continue;
    }
    const same =
      array.shape.length === variable.rank && array.shape.every((s, i) => s === variable.shape[i]);
    if (!same || array.dtype !== 'F32') {
      throw new Error(
        `--init-from ${path}: tensor "${name}" is ${array.dtype} [${array.shape.join(', ')}], the model's parameter is F32 [${variable.shape.join(', ')}] (another model preset or input geometry?)`,
      );
    }
    loaded.push(name);
  }
  if (loaded.length === 0) {
    throw new Error(`--init-from ${path}: holds none of the model's ${parameters.size} parameters`);
  }
  for (const name of loaded) {
    const array = lookup(name) as NamedArray;
    const variable = parameters.get(name) as tf.Variable;
    tf.tidy(() => variable.assign(tf.tensor(array.data, array.shape, 'float32')));
  }
  return { loaded, fresh, sha256, pretrainingData: pretrainingDataOf(metadata) };
}

/** The value of every cross-modal adapter gate, by parameter name (`backbone.blocks.i.adapter.gate`). */
export function adapterGates(parameters: ReadonlyMap<string, tf.Variable>): Record<string, number> {
  const gates: Record<string, number> = {};
  for (const [name, variable] of parameters) {
    if (name.endsWith('.adapter.gate')) gates[name] = variable.dataSync()[0] ?? Number.NaN;
  }
  return gates;
}

/** `block 0 (question) 0.12, block 2 (audio<->video) 0.31, ...` from adapterGates. */
export function formatGates(gates: Record<string, number>, questionBlocks?: number): string {
  return Object.entries(gates)
    .map(([name, value]) => {
      const block = Number(/blocks\.(\d+)\./.exec(name)?.[1]);
      const kind =
        questionBlocks === undefined
          ? ''
          : block < questionBlocks
            ? ' (question)'
            : ' (audio<->video)';
      return `block ${block}${kind} ${value.toFixed(3)}`;
    })
    .join(', ');
}
