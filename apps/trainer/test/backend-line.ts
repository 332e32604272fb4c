import { Logger } from '../src/log/logger.js';

/**
 * The backend line `prepare` writes (text) and its JSON event, with SPARSIFY_WASM_FMA set to
 * `fma` (or unset) while it runs; `prepare` is called once per format.
 */
export async function backendLine(
  fma: string | undefined,
  prepare: (logger: Logger) => Promise<unknown>,
): Promise<{ text: string; event: Record<string, unknown> }> {
  const previous = process.env.SPARSIFY_WASM_FMA;
  if (fma === undefined) delete process.env.SPARSIFY_WASM_FMA;
  else process.env.SPARSIFY_WASM_FMA = fma;
  try {
    let text = '';
    await prepare(
      new Logger({
        format: 'text',
        err: {
          write: (t: string) => {
            text += t;
          },
          isTTY: false,
          columns: () => 80,
        },
      }),
    );
    let json = '';
    await prepare(
      new Logger({
        format: 'json',
        out: (t) => {
          json += t;
        },
      }),
    );
    return { text, event: JSON.parse(json) as Record<string, unknown> };
  } finally {
    if (previous === undefined) delete process.env.SPARSIFY_WASM_FMA;
    else process.env.SPARSIFY_WASM_FMA = previous;
  }
}
