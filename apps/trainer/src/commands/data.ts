import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import {
  type AvqaRecord,
  DEFAULT_SYNTHETIC_OPTIONS,
  datasetClipSeconds,
  datasetMediaFiles,
  datasetStats,
  formatDatasetStats,
  generateSyntheticBenchmark,
  inShard,
  mergeCache,
  parseShard,
  prepareDataset,
  readAnnotationFile,
  type Shard,
  SPLITS,
  SYNTH_LAYOUT,
} from '@sparsify/avqa-datasets';
import { Command, Option } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { parseIntegerFlag, parseNumberFlag } from '../config/flags.js';
import { preprocessSettingsFor } from '../pipeline/model-inputs.js';
import { createLogger } from './runtime.js';

/** Thin wrappers over @sparsify/avqa-datasets: synth, prepare, stats. */
export function createDataCommand(): Command {
  const data = new Command('data').description('generate, preprocess and describe datasets');

  data
    .command('synth')
    .description(
      'write the synthetic benchmark in the MUSIC-AVQA layout (json/, videos/ or frames/ + audio/)',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--videos <n>',
      'videos',
      parseIntegerFlag('--videos'),
      DEFAULT_SYNTHETIC_OPTIONS.videos,
    )
    .option(
      '--seconds <n>',
      'seconds per video',
      parseNumberFlag('--seconds'),
      DEFAULT_SYNTHETIC_OPTIONS.seconds,
    )
    .option('--seed <n>', 'seed', parseIntegerFlag('--seed'), DEFAULT_SYNTHETIC_OPTIONS.seed)
    .option(
      '--redundancy <r>',
      '0..1, how continuous playing is',
      parseNumberFlag('--redundancy'),
      DEFAULT_SYNTHETIC_OPTIONS.redundancy,
    )
    .option(
      '--noise <n>',
      '0..1 pixel and audio noise',
      parseNumberFlag('--noise'),
      DEFAULT_SYNTHETIC_OPTIONS.noise,
    )
    .addOption(
      new Option(
        '--media <kind>',
        'media files to write; features: stand-ins for the VGGish, ResNet-18 and CLIP files (feats/), see docs/real-data.md',
      )
        .choices(['mp4', 'frames+wav', 'features', 'none'])
        .default('mp4'),
    )
    .option('-q, --quiet', 'no progress bar')
    .action(async (flags) => {
      const logger = createLogger(flags);
      const progress = logger.progress('writing videos', flags.videos);
      const benchmark = await generateSyntheticBenchmark({
        out: flags.out,
        videos: flags.videos,
        seconds: flags.seconds,
        seed: flags.seed,
        redundancy: flags.redundancy,
        noise: flags.noise,
        media: flags.media,
        onProgress: () => progress.tick(),
      });
      progress.finish();
      const counts = SPLITS.map((split) => `${split} ${benchmark.records[split].length}`).join(
        ', ',
      );
      logger.result(`${flags.out}: ${flags.videos} videos; questions: ${counts}`);
    });

  data
    .command('prepare')
    .description(
      'decode every video of a dataset folder once into the preprocessing cache (parallel workers)',
    )
    .requiredOption(
      '--root <dir>',
      'dataset folder: json/avqa-{train,val,test}.json and videos/ (or frames/ + audio/)',
    )
    .option('--cache-dir <dir>', 'cache folder (default <root>/.cache, the one train reads)')
    .option(
      '--seconds <n>',
      'clip length (default: read from the first training videos, at most 60, as train does; another value makes a cache train does not read)',
      parseNumberFlag('--seconds'),
    )
    .option(
      '--workers <n>',
      'worker threads, each one single-threaded decode + fbank pipeline on one core (default: the available cores)',
      parseIntegerFlag('--workers'),
    )
    .option(
      '--ffmpeg-threads <n>',
      'threads of each ffmpeg a worker runs (default 1, one core a worker; 0: ffmpeg chooses, a worker then uses more than one core; see docs/real-data.md)',
      parseIntegerFlag('--ffmpeg-threads'),
    )
    .option(
      '--shard <i/n>',
      'prepare only shard i of n (0 <= i < n; by a stable hash of the video id), for several machines; merge with data merge-cache',
    )
    .option('-q, --quiet', 'no progress bar')
    .option('--log-format <format>', 'text or json (one JSON object per line on stdout)', 'text')
    .action(async (flags) => {
      let shard: Shard | null = null;
      try {
        shard = flags.shard === undefined ? null : parseShard(flags.shard);
      } catch (error) {
        throw new ConfigError('--shard', (error as Error).message.replace(/^--shard: /, ''));
      }
      const logger = createLogger(flags);
      const videoIds = new Set<string>();
      let trainRecords: readonly AvqaRecord[] = [];
      for (const split of SPLITS) {
        const file = join(flags.root, SYNTH_LAYOUT.annotations(split));
        if (!existsSync(file)) throw new ConfigError('--root', `${file} is missing`);
        const { records } = await readAnnotationFile(file);
        if (split === 'train') trainRecords = records;
        for (const record of records) videoIds.add(record.videoId);
      }
      const seconds: number = flags.seconds ?? (await datasetClipSeconds(flags.root, trainRecords));
      logger.event(
        'clip-seconds',
        { root: flags.root, seconds },
        `clips preprocessed at ${seconds} s`,
      );
      const jobs = [...videoIds]
        .filter((videoId) => shard === null || inShard(videoId, shard))
        .map((videoId) => ({ videoId, media: datasetMediaFiles(flags.root, videoId) }));
      if (shard) {
        logger.event(
          'shard',
          { ...shard, videos: jobs.length, of: videoIds.size },
          `shard ${shard.index}/${shard.count}: ${jobs.length} of ${videoIds.size} videos`,
        );
      }
      const progress = logger.progress('preparing', jobs.length);
      const summary = await prepareDataset({
        jobs,
        cacheDir: flags.cacheDir ?? join(flags.root, '.cache'),
        settings: preprocessSettingsFor(DEFAULT_INPUTS, seconds),
        workers: flags.workers,
        ffmpegThreads: flags.ffmpegThreads,
        onProgress: () => progress.tick(),
      });
      progress.finish();
      logger.result(
        `${summary.total} videos: ${summary.cached} cached, ${summary.built} built, ${summary.rebuilt} rebuilt, ${summary.failed.length} failed (${summary.seconds.toFixed(1)} s)` +
          summary.failed.map((f) => `\n  ${f.videoId}: ${f.error}`).join(''),
        { ...summary },
      );
      if (summary.failed.length > 0) process.exitCode = 1;
    });

  data
    .command('merge-cache')
    .description(
      'merge preprocessing caches prepared on several machines (data prepare --shard i/n) into one, checking every entry',
    )
    .argument('<from...>', 'cache folders to merge from (each a <root>/.cache of one machine)')
    .requiredOption('--into <dir>', 'the cache folder to merge into (usually <root>/.cache)')
    .option(
      '--root <dir>',
      "also check each entry against this dataset folder's media: entries made from other bytes (size or mtime) would be rebuilt by train",
    )
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (from: string[], flags) => {
      const logger = createLogger({ ...flags, quiet: true });
      for (const dir of from) {
        if (!existsSync(dir)) throw new ConfigError('<from>', `${dir} does not exist`);
      }
      const summary = await mergeCache({
        from,
        into: flags.into,
        ...(flags.root ? { media: (id: string) => datasetMediaFiles(flags.root, id) } : {}),
      });
      logger.result(
        `${flags.into}: ${summary.copied} entries copied, ${summary.present} already present, ${summary.invalid.length} invalid (not copied)` +
          (flags.root
            ? `, ${summary.stale.length} made from other media than ${flags.root} (train rebuilds them: copy videos with their mtimes, e.g. rsync -a)`
            : '') +
          summary.invalid.map((f) => `\n  ${f.path}: ${f.error}`).join('') +
          summary.stale
            .slice(0, 5)
            .map((f) => `\n  ${f.videoId}: ${f.reason}`)
            .join(''),
        { ...summary },
      );
      if (summary.invalid.length > 0 || summary.stale.length > 0) process.exitCode = 1;
    });

  data
    .command('stats')
    .description(
      'counts per type, answers, token lengths, duplicates and video overlap of annotation files',
    )
    .argument(
      '<files...>',
      'MUSIC-AVQA annotation files; each is compared with the others for video overlap',
    )
    .action(async (files: string[]) => {
      const sets = await Promise.all(files.map((file) => readAnnotationFile(file)));
      const blocks = sets.map((set, i) => {
        const otherSplits = Object.fromEntries(
          sets.filter((_, j) => j !== i).map((other) => [other.source, other.records]),
        );
        return formatDatasetStats(
          datasetStats(set.records, { otherSplits, duplicates: set.duplicates }),
          files[i],
        );
      });
      console.log(blocks.join('\n\n'));
    });

  return data;
}
