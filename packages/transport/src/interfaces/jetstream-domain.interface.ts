/** Which JetStream a connection's API calls go to, when the servers it reaches hold more than one. */
export interface JetStreamDomainOption {
  /**
   * The JetStream domain (the server's `jetstream { domain }`) this app's JetStream API calls go
   * to: provisioning, consumers, the health checks. Set it to reach a leaf node's JetStream from
   * the hub (or the hub's from a leaf): calls use `$JS.<domain>.API` instead of `$JS.API`.
   * Publishing is by subject and needs no domain. Default none: the JetStream of the servers the
   * connection reaches.
   */
  domain?: string;
}
