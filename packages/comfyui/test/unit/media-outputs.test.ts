import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectMediaOutputs } from '../../src/media-outputs.ts';
import { closestNames, displayName, isModelInput } from '../../src/names.ts';

describe('collectMediaOutputs (history shapes of reference §3)', () => {
  test('core SaveVideo puts the video under images with animated', () => {
    const { videos, other } = collectMediaOutputs({
      '11': {
        images: [{ filename: 'clip_00001_.mp4', subfolder: 'framesmith', type: 'output' }],
        animated: [true],
      },
    });
    assert.deepEqual(videos, [
      {
        nodeId: '11',
        key: 'images',
        ref: { filename: 'clip_00001_.mp4', subfolder: 'framesmith', type: 'output' },
      },
    ]);
    assert.deepEqual(other, []);
  });

  test('VHS gifs (temp included), SaveAnimatedWEBP, and a videos key are all videos', () => {
    const { videos } = collectMediaOutputs({
      '20': {
        gifs: [
          {
            filename: 'AnimateDiff_00001.mp4',
            subfolder: '',
            type: 'temp',
            format: 'video/h264-mp4',
            frame_rate: 8,
            workflow: 'AnimateDiff_00001.png',
            fullpath: '/opt/ComfyUI/temp/AnimateDiff_00001.mp4',
          },
        ],
      },
      '21': { images: [{ filename: 'anim_00001_.webp', subfolder: '', type: 'output' }], animated: [true] },
      '22': { videos: [{ filename: 'v.webm', subfolder: 'x', type: 'output' }] },
    });
    assert.deepEqual(
      videos.map((v) => [v.nodeId, v.key, v.ref.type]),
      [
        ['20', 'gifs', 'temp'],
        ['21', 'images', 'output'],
        ['22', 'videos', 'output'],
      ],
    );
  });

  test('still images and text are not videos, and are listed as what was produced', () => {
    const { videos, other } = collectMediaOutputs({
      '9': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }], animated: [false] },
      '12': { text: ['hello'] },
    });
    assert.deepEqual(videos, []);
    assert.deepEqual(other, ['images: ComfyUI_00001_.png', 'text']);
  });

  test('empty or null outputs give nothing', () => {
    assert.deepEqual(collectMediaOutputs({}), { videos: [], other: [] });
    assert.deepEqual(collectMediaOutputs(null), { videos: [], other: [] });
  });
});

describe('names', () => {
  test('model inputs are recognised by name and loader class, sampler_name is not one', () => {
    assert.equal(isModelInput('CheckpointLoaderSimple', 'ckpt_name'), true);
    assert.equal(isModelInput('DualCLIPLoader', 'clip_name2'), true);
    assert.equal(isModelInput('WanVideoModelLoader', 'model'), false);
    assert.equal(isModelInput('DownloadAndLoadSomethingLoader', 'weights_name'), true);
    assert.equal(isModelInput('KSampler', 'sampler_name'), false);
    assert.equal(isModelInput('CLIPLoader', 'type'), false);
  });

  test('displayName keeps relative names and cuts absolute paths', () => {
    assert.equal(displayName('SDXL1.0\\x.safetensors'), 'SDXL1.0\\x.safetensors');
    assert.equal(displayName('/opt/ComfyUI/models/x.safetensors'), 'x.safetensors');
    assert.equal(displayName('C:\\models\\x.safetensors'), 'x.safetensors');
  });

  test('closestNames ranks by similarity, ignoring folder and extension', () => {
    const names = closestNames('wan2.1_vae.safetensors', [
      'wan_2.1_vae.safetensors',
      'vae/wan2.1_vae.pt',
      'flux_ae.safetensors',
      'totally-different-model.ckpt',
    ]);
    assert.deepEqual(names.slice(0, 2), ['vae/wan2.1_vae.pt', 'wan_2.1_vae.safetensors']);
    assert.ok(!names.includes('totally-different-model.ckpt'));
  });
});
