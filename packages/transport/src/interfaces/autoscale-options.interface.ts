/**
 * How `nest-jetstream k8s` autoscales a handler's service with KEDA (the `nats-jetstream` scaler,
 * one trigger per handler with a shared consumer). See docs/cli.md.
 */
export interface AutoscaleOptions {
  /**
   * Messages pending on the handler's consumer per replica: KEDA runs one replica per this many
   * (the scaler's `lagThreshold`). Default: the handler's `lag.maxPending`, else 100.
   */
  lagThreshold?: number;
  /** Pending messages above which KEDA wakes a service scaled to zero (the scaler's `activationLagThreshold`). Default 0. */
  activationLagThreshold?: number;
}
