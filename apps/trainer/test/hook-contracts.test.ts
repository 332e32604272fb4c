import type {
  HookContext,
  InputMasker,
  ReducerInput,
  StreamLayout,
  TokenReducer,
} from '@sparsify/amuse-encoder';
import type { createIqrTokenReducer } from '@sparsify/iqr-token-merge';
import type { createInputMasker } from '@sparsify/sparse-masking';
import { describe, expectTypeOf, it } from 'vitest';
import type { TrainableModel } from '../src/pipeline/types.js';

type Masker = ReturnType<typeof createInputMasker>;
type Reducer = ReturnType<typeof createIqrTokenReducer>;

/**
 * The encoder declares the hook types; the sparsifiers declare their own copies so they need
 * not import it. tsc (pnpm lint, typecheck) checks these assertions: a field renamed or
 * retyped on either side fails the build here, where the trainer plugs one into the other.
 */
describe('hook contracts', () => {
  it("the encoder's hook arguments are what the sparsifiers accept", () => {
    expectTypeOf<HookContext>().toExtend<Parameters<Masker['maskInputs']>[1]>();
    expectTypeOf<HookContext>().toExtend<Parameters<Reducer['reduceTokens']>[1]>();
    expectTypeOf<StreamLayout>().toExtend<Parameters<Masker['maskInputs']>[0]['video']['layout']>();
    expectTypeOf<ReducerInput>().toExtend<Parameters<Reducer['reduceTokens']>[0]>();
  });

  it('the sparsifiers are the hooks the encoder takes', () => {
    expectTypeOf<Masker>().toExtend<InputMasker>();
    expectTypeOf<Reducer>().toExtend<TokenReducer>();
  });

  it("the trainer's forward pass takes the encoder's HookContext", () => {
    expectTypeOf<Parameters<TrainableModel['forward']>[1]>().toEqualTypeOf<HookContext>();
  });
});
