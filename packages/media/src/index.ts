export {
  type Mp4Track,
  parseMoov,
  readTopLevelBoxes,
  type TopLevelBox,
} from './mp4-tracks.ts';
export {
  type ProbeResult,
  probeVideo,
  probeVideoStart,
  readAnimatedWebp,
  warmUpProbes,
} from './video-probe.ts';
export { type FfprobeRun, WarmFfprobe } from './warm-ffprobe.ts';
