#!/usr/bin/env node
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // One line for expected failures (bad config, missing backend); the stack only on demand.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`sparsify: ${message}`);
    if (process.env.SPARSIFY_DEBUG) console.error(error);
    process.exitCode = 1;
  });
