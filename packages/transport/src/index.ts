/**
 * NATS JetStream as a NestJS microservice transport.
 * @module @nest-jetstream/transport
 */
// The public API: everything a user imports, and nothing else (what the README and docs/ document).
export { JETSTREAM_TRANSPORT, MIN_VERBATIM_SECRET_LENGTH } from './constants.js';
export { JetStreamModule, JetStreamFeatureModule, InjectJetStreamOptions } from './module/jetstream.module.js';
export { JetStreamServer } from './server/jetstream.server.js';
export type { JetStreamServerEvents } from './server/jetstream.server.js';
export type { HandlerBindingInfo } from './bindings/handler-binding.js';
export type { TerminatedMessageEvent, DeadLetterEvent, DeadLetterLostEvent } from './events/settle.events.js';
export type { JetStreamStatus, ConnectionEvents } from './connection/connection-events.js';
export { JetStreamClient } from './client/jetstream.client.js';
export { JetStreamConnectionClient, type ConnectionClientHost } from './client/jetstream-connection.client.js';
export { InjectJetStreamClient, getJetStreamClientToken } from './module/jetstream-client.tokens.js';
export type { JetStreamClientEvents } from './client/jetstream.client.js';
export { JetStreamEvent } from './decorators/jetstream-event.decorator.js';
export { JetStreamCron } from './cron/jetstream-cron.decorator.js';
export { OutboxRelay } from './outbox/outbox-relay.js';
export type { OutboxRelayOptions, OutboxRelayStats } from './outbox/outbox-relay.js';
export type { BatchMessage } from './publishing/batch-message.js';
export type { BatchPubAck } from './publishing/batch-publisher.js';
export type { FastBatchAck } from './publishing/fast-batch-publisher.js';
export type { FastBatchOptions } from './interfaces/fast-batch-options.interface.js';
export type { FastIngestGap } from './nats-adapter/fast-ingest-access.js';
export {
  FastBatchError,
  FastBatchUnsupportedError,
  FastBatchMixedStreamsError,
  FastBatchGapError,
  FastBatchFailedError,
} from './publishing/fast-batch.errors.js';
export {
  BatchPublishError,
  BatchTooLargeError,
  BatchMixedStreamsError,
  BatchExpectationFailedError,
  BatchDuplicateMsgIdError,
  BatchUnsupportedError,
  BatchRejectedError,
} from './publishing/batch-publish.errors.js';
export { ATOMIC_BATCH_MIN_SERVER, ATOMIC_BATCH_MAX_MESSAGES, FAST_BATCH_MIN_SERVER } from './utils/batch-limits.js';
export type { JetStreamCronOptions } from './cron/jetstream-cron.decorator.js';
export { RECURRING_SCHEDULES_MIN_SERVER } from './cron/cron-schedule.js';
export type { CronTick } from './cron/cron-schedule.js';
export { JetStreamContext } from './ctx-host/jetstream.context.js';
export type { JetStreamDeliveryInfo, SettleAction } from './ctx-host/jetstream.context.js';
export { JetStreamBatchContext } from './consuming/batch/jetstream-batch.context.js';
export type { BatchOptions, BatchHandlerOptions } from './interfaces/batch-options.interface.js';
export { createTestContext } from './ctx-host/test-context.js';
export type { TestContext, TestContextOptions, TestSettleCall } from './ctx-host/test-context.js';
export { JetStreamRecord, JetStreamRecordBuilder } from './record-builders/jetstream.record-builder.js';
export type { JetStreamPublishOptions, PublishExpectations } from './record-builders/jetstream.record-builder.js';
export { JsonCodec } from './codecs/json.codec.js';
export { RawCodec } from './codecs/raw.codec.js';
export type { JetStreamCodec, CodecDecodeInputs } from './codecs/codec.interface.js';
export type { ErrorClass } from './settlement/settle-policy.js';
export type {
  ConsumerOptions,
  DeliverPolicyName,
  JetStreamOptions,
  JetStreamClientOptions,
  JetStreamServerOptions,
  ProvisioningMode,
  PublishDefaults,
  StreamDeclaration,
  Checkpoint,
  CheckpointQuery,
} from './interfaces/jetstream-options.interface.js';
export type { StreamPlacement, StreamSourceDeclaration, StreamTopologyDeclaration, SubjectTransform } from './interfaces/stream-topology.interface.js';
export type { JetStreamEventOptions, JetStreamEventMode } from './interfaces/jetstream-event-options.interface.js';
export type { ReplayOptions, ReplayResult, OrderedFailure } from './delivery/replay.types.js';
export type { Duration } from './utils/duration.js';
export { parseDuration } from './utils/duration.js';
export {
  JetStreamErrorCode,
  JetStreamTransportError,
  JetStreamConfigError,
  JetStreamConnectionError,
  JetStreamNotListeningError,
} from './errors/jetstream-transport.error.js';
export { ProvisioningError, NoStreamForSubjectError } from './errors/provisioning.error.js';
export { JetStreamPermissionError } from './errors/permission.error.js';
export type { ProvisioningDifference } from './errors/provisioning.error.js';
export {
  WrongLastSequenceError,
  WrongLastMsgIdError,
  WrongStreamError,
  PublishTimeoutError,
  PublishRejectedError,
  PublishFailedError,
  EncodeError,
  RequestReplyNotSupportedError,
} from './errors/publish.errors.js';
export { PublishOptionUnsupportedError } from './errors/publish-option-unsupported.error.js';
export { InvalidSubjectError, InvalidHeaderError } from './errors/input.errors.js';
export type { SubjectUse } from './errors/input.errors.js';
export type { PublishOptionUnsupportedDetail, TimedPublishOption } from './errors/publish-option-unsupported.error.js';
export { JetStreamTermError, DecodeError, HandlerTimeoutError } from './errors/handler.errors.js';
export { DeadLetterHeaders, readDeadLetter } from './dead-letter/dead-letter-headers.js';
export type { DeadLetterFacts } from './dead-letter/dead-letter-headers.js';
export { redriveDeadLetters } from './dead-letter/redrive.js';
export { redactSecrets, createRedactor, redactErrorChain } from './security/redact.js';
export type { Redactor, SecretBearingOptions } from './security/redact.js';
export { RedactingLogger } from './security/redacting-logger.js';
export type { RedriveOptions, RedriveResult } from './dead-letter/redrive.js';
export type {
  JetStreamInstrumentation,
  InstrumentationTarget,
  InstrumentationEvents,
  InstrumentedHandler,
  ConsumeObserver,
  FastBatchEvent,
  PublishObserver,
  SettleOutcome,
} from './observability/instrumentation.interface.js';
export { JetStreamHealth } from './health/jetstream-health.js';
export { JetStreamConsumers, PAUSED_UNTIL_RESUMED } from './consumer-control/jetstream-consumers.js';
export type { PauseOptions, ConsumerPauseState } from './consumer-control/jetstream-consumers.js';
export { ConsumerFeatureUnsupportedError } from './errors/consumer-feature.error.js';
export type { HealthCheckResult, HealthOptions, HealthReport, LagThresholds } from './health/health.types.js';
export { computePermissions } from './permissions/compute-permissions.js';
export type { NatsPermissions, PermissionRole, PermissionsPlan } from './permissions/compute-permissions.js';
export { computeConnectionPermissions, planByConnection, type ConnectionPermissionsOptions } from './permissions/connection-permissions.js';
export { MemoryIdempotencyStore } from './idempotency/memory-idempotency.store.js';
export type { MemoryIdempotencyStoreOptions } from './idempotency/memory-idempotency.store.js';
// SqlIdempotencyStore and its executors: @nest-jetstream/transport/sql.
export type {
  IdempotencyStore,
  IdempotencyOptions,
  IdempotencyRecord,
  IdempotencyRecordOptions,
  IdempotencyKeyKind,
  IdempotentOption,
} from './interfaces/idempotency-store.interface.js';
export type { JetStreamCliApp, AppModuleLike } from './cli/app/cli-app.interface.js';
export type { AutoscaleOptions } from './interfaces/autoscale-options.interface.js';
export type { DeadLetterFilter } from './dead-letter/dead-letter-browse.js';
export { PayloadValidationError, PublishValidationError } from './schemas/payload-validation.error.js';
export type { PayloadSchema, StandardSchemaV1, StandardSchemaIssue, StandardSchemaResult, StandardJsonSchemaConverter } from './schemas/standard-schema.js';
export type { HandlerSchemaOptions, ContractOptions, PublishContract, ContractModuleOptions } from './interfaces/contract-options.interface.js';
export { JetStreamConnections, type ConnectionReport, type ConnectionsReport } from './connections/connection-registry.js';
export type { NamedConnectionState } from './connections/named-connection.js';
export { ConnectionUnavailableError, UnknownConnectionError, DEFAULT_CONNECTION_NAME } from './connections/connection-errors.js';
export type { NamedConnectionOptions, NamedConnectionsOption } from './interfaces/named-connections.interface.js';
export type { ConnectionChoiceOption } from './interfaces/connection-choice.interface.js';
