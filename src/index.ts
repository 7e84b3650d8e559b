// The package root: the public API of dualbus, re-exported. Nothing else lives here.
export { defineActor, isActorDefinition } from './actors/define.js';
export type { ActorDefinition, AnyActorDefinition, MessageOf, ReplyOf, ActorContext, AskOptions, ActorKernels, ActorKernelRunOptions, PipeOutcome, ReplyHandle } from './transport/contract.js';
export { createSystem } from './create-system.js';
export { System } from './runtime/system.js';
export type { SystemStats, SubscriptionHandler, Unsubscribe, ActorEvent, ActorExitEvent, WorkerEntries, Kernels } from './runtime/system.js';
export { child, supervisor } from './runtime/tree.js';
export { TreeSpecError } from '../supervisors/spec.js';
export type { ChildSpec, SupervisorSpec, SupervisorOptions, Strategy, RestartType, ErrorDirective, BackoffOptions } from '../supervisors/spec.js';
export type { DeadLetter } from './runtime/dead-letters.js';
export { BUS_DEFAULTS } from './transport/redis/config.js';
export { busAclRules } from './transport/redis/acl.js';
export type { BusOptions, RedisTarget } from './transport/redis/config.js';
export type { BridgeCounters } from './transport/redis/bridge.js';
export { ActorRef } from './runtime/actor-ref.js';
export type { RefAskOptions } from './runtime/actor-ref.js';
export type { SystemOptions, SpawnOptions, SupervisionOptions, ChildOptions } from './runtime/options.js';
export { SYSTEM_DEFAULTS, SPAWN_DEFAULTS, SUPERVISION_DEFAULTS } from './runtime/options.js';
export { SUPERVISOR_DEFAULTS } from '../supervisors/spec.js';
export type { ActorStats, LatencyStats } from './runtime/stats.js';
export { defineRecord } from './transport/codec/records.js';
export type { RecordType, RecordView, ViewOf, RecordValues, RecordFields, FieldType } from './transport/codec/records.js';
export { matchTopic } from './transport/topic.js';
export {
  DualbusError,
  MailboxFull,
  MessageTooLarge,
  AskTimeout,
  ActorCrashed,
  ActorStopped,
  ActorNotFound,
  RemoteError,
  NoReply,
  FrameError,
  InvalidOption,
  InvalidRecord,
  SpawnFailed,
  SupervisionFailed,
  SystemStopped,
  IncarnationRetired,
} from './transport/errors.js';
export type { WaitStrategyName } from './transport/protocol.js';
export { defineKernel, isKernelDefinition } from './kernels/define.js';
export type { KernelSpec, KernelDefinition, KernelContext, KernelImpl, BackendName } from './kernels/define.js';
export type { NumericCores } from './kernels/cores.js';
export { sharedArray, toShared, isShared } from './kernels/shared-arrays.js';
// What the desk's engines need of two built-in kernels: the caller-owned state of vpin.incremental,
// and the desk model's layers (the mlp fallback of models/desk-mlp.onnx, and its pure JS forward).
export { createVpinState } from './kernels/builtin/vpin-state.js';
export { DESK_MODEL_FEATURES, DESK_MODEL_FILE, deskModelLayers } from './kernels/backends/onnx/desk-model.js';
export type { MlpLayer, Activation } from './kernels/builtin/mlp.js';
export type { NumericArray, NumericArrayConstructor } from './kernels/shared-arrays.js';
export { KERNEL_DEFAULTS } from './kernels/options.js';
export type { KernelPoolOptions } from './kernels/options.js';
export type { AcceleratorOptions, AcceleratorProfile } from './kernels/backends/accelerator.js';
export type { OnnxOptions, CoreMlOptions } from './kernels/backends/onnx/providers.js';
export type { CacheOptions } from './cache/options.js';
export type { ActorCache, CacheKey, CacheStats } from './transport/contract.js';
export { CacheKeyError, CacheValueError, UnknownCache } from './cache/errors.js';
export type { KernelRunOptions, KernelInfo, BackendInfo } from './kernels/pool.js';
export type { KernelStats, KernelCallStats } from './kernels/kernel-stats.js';
export type { CalibrationPoint } from './kernels/calibration.js';
export {
  KernelQueueFull,
  KernelTimeout,
  KernelAborted,
  KernelArgumentError,
  KernelThreadDied,
  KernelPoolClosed,
  UnknownKernel,
  BackendUnavailable,
} from './kernels/errors.js';
export { startGateway } from './gateway/gateway.js';
export type { Gateway, GatewayStats } from './gateway/gateway.js';
export { GATEWAY_DEFAULTS } from './gateway/options.js';
export type { GatewayOptions } from './gateway/options.js';
export { hostSnapshot } from './gateway/snapshot.js';
export type { HostSnapshot, Snapshot, EngineView, CacheView, KernelsView, KernelView, KernelBackendView, MsPercentiles, TreeNode } from './gateway/snapshot.js';
export { shareHostSnapshots } from './gateway/hosts.js';
export type { ShareHostSnapshotsOptions } from './gateway/hosts.js';
export { GatewayError } from './gateway/errors.js';
