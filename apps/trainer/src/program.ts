import { Command, Option } from 'commander';
import { BACKEND_NAMES } from './backends.js';
import { createAskCommand } from './commands/ask.js';
import { backendsReport } from './commands/backends.js';
import { createCompareCommand } from './commands/compare.js';
import { createDataCommand } from './commands/data.js';
import { createDemoCommand } from './commands/demo.js';
import { createDemoRunCommand } from './commands/demo-run.js';
import { createEvalCommand } from './commands/eval.js';
import { createKeySubsetCommand } from './commands/key-subset.js';
import { createPretrainCommand } from './commands/pretrain.js';
import { createTrainCommand } from './commands/train.js';

export interface GlobalOptions {
  backend: string;
}

/** The `sparsify` command line. Each command lives in src/commands/ and is wired here. */
export function buildProgram(): Command {
  const program = new Command('sparsify')
    .description('Sparsify for Music AVQA on TensorFlow.js: dense vs sparse, side by side')
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend')
        .choices(['auto', ...BACKEND_NAMES])
        .env('SPARSIFY_BACKEND')
        .default('auto'),
    )
    .showHelpAfterError();

  program
    .command('backends')
    .description('list the TensorFlow.js backends installed here and the one auto picks')
    .action(() => {
      console.log(backendsReport());
    });

  program.addCommand(createTrainCommand());
  program.addCommand(createPretrainCommand());
  program.addCommand(createEvalCommand());
  program.addCommand(createCompareCommand());
  program.addCommand(createAskCommand());
  program.addCommand(createKeySubsetCommand());
  program.addCommand(createDataCommand());
  program.addCommand(createDemoCommand());
  // The demo's runs in child processes (--parallel): internal, so not in --help.
  program.addCommand(createDemoRunCommand(), { hidden: true });

  return program;
}
