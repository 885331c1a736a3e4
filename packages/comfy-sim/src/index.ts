/** @framesmith/comfy-sim: a ComfyUI server simulator with fault injection (ARCHITECTURE §11). */
export { runSimCli } from './cli.ts';
export { FaultSpecError, parseFaultArg, parseFaultList, parseFaultSpec } from './faults.ts';
export { DEFAULT_MODELS, MODEL_FOLDERS } from './node-catalog.ts';
export { startSimulator } from './simulator.ts';
export {
  type ActiveFault,
  type ExtraNodeDef,
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  RUN_FAULT_KINDS,
  SERVER_FAULT_KINDS,
  type SimOptions,
  type SimStats,
  type Simulator,
  SUBMIT_FAULT_KINDS,
} from './types.ts';
