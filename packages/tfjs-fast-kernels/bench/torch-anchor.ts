/**
 * Finds and runs the PyTorch anchors (../shared/anchors beside the repository:
 * torch_block.py, torch_tiny.py), for the benches that measure this project against PyTorch
 * side by side: this package's bench/torch-block-ab.ts and apps/trainer's
 * bench/torch-anchor-ab.ts. The python comes from $SPARSIFY_TORCH_PYTHON (default python3),
 * the anchors from $SPARSIFY_ANCHORS_DIR. The anchors are not copied into the repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface TorchAnchors {
  python: string;
  dir: string;
  torchVersion: string;
}

/**
 * The python and anchors directory to use, or exits the process with one line saying how to
 * get what is missing.
 */
export function torchAnchorsOrExit(anchors: readonly string[]): TorchAnchors {
  const python = process.env.SPARSIFY_TORCH_PYTHON || 'python3';
  const dir = resolve(
    process.env.SPARSIFY_ANCHORS_DIR || join(repoRoot, '..', 'shared', 'anchors'),
  );
  const readme = join(dir, 'README.md');
  const missing = anchors.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) {
    console.error(
      `needs the PyTorch anchors ${missing.join(', ')} in ${dir}: set SPARSIFY_ANCHORS_DIR to the directory holding them (../shared/anchors beside the repository; see its README.md)`,
    );
    process.exit(2);
  }
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    console.error(
      `needs PyTorch: \`${python} -c "import torch"\` failed; install a CPU build into a venv (python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch numpy, see ${readme}) and set SPARSIFY_TORCH_PYTHON=/work/venv-torch/bin/python`,
    );
    process.exit(2);
  }
  return { python, dir, torchVersion: probe.stdout.trim() };
}

/**
 * Runs `<anchor> ...args` and returns its JSON line. With `stepCpu`, the anchor runs under
 * a wrapper that also reads the process CPU time (all threads) each time the anchor itself
 * calls time.perf_counter, so a timed step's CPU time is the difference of a pair; those
 * readings come back as `cpuMarksMs` (in call order).
 */
export function runTorchAnchor(
  anchors: TorchAnchors,
  anchor: string,
  args: readonly string[],
  stepCpu = false,
): { result: Record<string, unknown>; cpuMarksMs?: number[] } {
  const path = join(anchors.dir, anchor);
  const argv = stepCpu ? ['-c', CPU_MARKS_WRAPPER, path, ...args] : [path, ...args];
  const out = execFileSync(anchors.python, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const lines = out.split('\n').filter((l) => l.startsWith('{'));
  const result = lines.find((l) => !l.startsWith('{"cpu_marks_ms"'));
  if (result == null) throw new Error(`no JSON result from ${path}:\n${out}`);
  const marks = lines.find((l) => l.startsWith('{"cpu_marks_ms"'));
  return {
    result: JSON.parse(result) as Record<string, unknown>,
    ...(marks
      ? { cpuMarksMs: (JSON.parse(marks) as { cpu_marks_ms: number[] }).cpu_marks_ms }
      : {}),
  };
}

// time.perf_counter, seen from the anchor's own frames only (torch's internals may call it
// too), also records time.process_time; the anchor's own output is unchanged.
const CPU_MARKS_WRAPPER = `
import json, runpy, sys, time
anchor = sys.argv[1]
sys.argv = sys.argv[1:]
wall, marks = time.perf_counter, []
def counter():
    if sys._getframe(1).f_code.co_filename == anchor:
        marks.append(1000 * time.process_time())
    return wall()
time.perf_counter = counter
runpy.run_path(anchor, run_name='__main__')
print(json.dumps({'cpu_marks_ms': marks}))
`;

/** The middle value (upper middle for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
