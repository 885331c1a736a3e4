export {
  type Mp4Track,
  parseMoov,
  readTopLevelBoxes,
  readTopLevelBoxesSync,
  type TopLevelBox,
} from './mp4-tracks.ts';
export {
  type ProbeResult,
  probeVideo,
  probeVideoHeader,
  readAnimatedWebp,
  warmUpProbes,
} from './video-probe.ts';
export { type FfprobeRun, keepsProcessAlive, WarmFfprobe } from './warm-ffprobe.ts';
export {
  type SpawnedProcess,
  type SpawnProcessOptions,
  spawnHostReady,
  type ProcessRun,
  runProcess,
  spawnProcess,
  startSpawnHost,
  stopSpawnHost,
} from './spawner.ts';
