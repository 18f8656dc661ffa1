/**
 * The engine interface: what the job queue asks of an inpainting engine (SDXL on onnxruntime, or the classic
 * exemplar-based fill). Engines run inside the engine worker thread (service/worker); what crosses into or out of
 * them is plain typed data (../engine-io), so it can be posted between threads.
 */
import type { EngineName } from '../../core/params';
import type { EngineStatus } from '../../core/protocol';
import type { EngineJob, EngineOutput, EngineRunContext } from '../engine-io';

export interface Engine {
  readonly name: EngineName;
  /** Cheap, synchronous: the state as of now (loading/ready/failed + model, provider, dtype). */
  status(): EngineStatus;
  run(job: EngineJob, context: EngineRunContext): Promise<EngineOutput>;
  /** Releases sessions/buffers; the engine is unusable afterwards. */
  dispose(): Promise<void>;
}
