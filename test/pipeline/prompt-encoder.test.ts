import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { penultimateHiddenState } from '../../service/pipeline/prompt-encoder';
import type { SdxlModels } from '../../service/pipeline/sdxl-models';
import { simplePromptTokens, tinyOracle, tokenizerFilesAvailable } from '../models/tiny-sdxl';
import { loadTinyModels, removeTinyModels, tinyModel } from './fixtures';

afterAll(removeTinyModels);

describe('penultimateHiddenState', () => {
  it('picks hidden_states[-2] from optimum output names', () => {
    const names = ['last_hidden_state', 'pooler_output', ...Array.from({ length: 13 }, (_, i) => `hidden_states.${i}`)];
    expect(penultimateHiddenState(names, 'text_encoder')).toBe('hidden_states.11');
    expect(() => penultimateHiddenState(['last_hidden_state'], 'text_encoder')).toThrow(/no hidden_states\.N outputs/);
  });
});

describe.skipIf(!tokenizerFilesAvailable())('PromptEncoder', () => {
  let models: SdxlModels;
  beforeAll(async () => {
    models = await loadTinyModels((await tinyModel('fp16')).dir, true);
  });
  afterAll(async () => models?.release());

  it('concatenates te1 hidden_states.11 and te2 hidden_states.31, pooled = te2 text_embeds (fp16 graphs)', async () => {
    const embedding = await models.prompts.encode('a red apple');
    const expected = tinyOracle.promptConditioning(simplePromptTokens('a red apple'));
    expect([embedding.sequence, embedding.hiddenSize, embedding.pooled.length]).toEqual([77, 2048, 1280]);
    let worst = 0;
    expected.encoderHiddenStates.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - embedding.hidden[i]) / (1 + Math.abs(v)))));
    expected.textEmbeds.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - embedding.pooled[i]) / (1 + Math.abs(v)))));
    expect(worst).toBeLessThan(4e-3); // fp16 outputs
  });

  it('caches embeddings by prompt and, in low-memory mode, releases and recreates the sessions', async () => {
    await models.prompts.releaseSessions();
    const first = await models.prompts.encode('a blue house');
    expect(models.prompts.sessionsLoaded).toBe(true);
    await models.prompts.releaseSessions();
    expect(models.prompts.sessionsLoaded).toBe(false);
    const again = await models.prompts.encode('a blue house');
    expect(again).toBe(first);
    expect(models.prompts.sessionsLoaded).toBe(false); // a cache hit needs no session
  });

  it('reports tokens cut by the 77-token limit', async () => {
    const embedding = await models.prompts.encode(Array(80).fill('cat').join(' '));
    expect(embedding.truncatedTokens).toBe(5);
  });
});
