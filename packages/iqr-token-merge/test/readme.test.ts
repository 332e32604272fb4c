import { describeReadmeExamples } from '../../../vitest.readme.js';

describeReadmeExamples(new URL('../', import.meta.url));
