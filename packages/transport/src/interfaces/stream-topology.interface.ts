/** Where a stream's replicas live in a super-cluster: one cluster, servers with these tags, or both. */
export interface StreamPlacement {
  /** The cluster's name (its `cluster.name` and gateway name). Default: the cluster the request arrives in. */
  cluster?: string;
  /** Server tags (`server_tags` in the server config) every replica's server must have. Default none. */
  tags?: string[];
}

/** A subject rewrite applied to a source's messages as they are copied in (nats-server 2.10+). */
export interface SubjectTransform {
  /** The subjects it applies to, e.g. `'orders.>'`. */
  source: string;
  /** What they become, e.g. `'eu.orders.>'` (`{{wildcard(1)}}` and `*`/`>` as the server takes them). */
  destination: string;
}

/** A stream to copy from (a mirror or one of `sources`), in this or another JetStream domain or account. */
export interface StreamSourceDeclaration {
  /** The stream copied from. */
  name: string;
  /** Only its messages on this subject. Not with `subjectTransforms`. Default all. */
  filterSubject?: string;
  /** Subject rewrites of the copied messages (nats-server 2.10+; sources only, not a mirror on 2.10). Default none. */
  subjectTransforms?: SubjectTransform[];
  /** Where copying starts: this stream sequence of the source. Default its first message. */
  optStartSeq?: number;
  /** Where copying starts: messages from this time on. Default its first message. */
  optStartTime?: string;
  /**
   * The JetStream domain the source stream lives in (a leaf node's or the hub's): sets the
   * external API prefix `$JS.<domain>.API`. Not with `apiPrefix`. Default: this domain.
   */
  domain?: string;
  /** The external JetStream API prefix, for a source in another account that exports its API under it. Not with `domain`. */
  apiPrefix?: string;
  /** The delivery prefix the other account imports the copy's messages under. Default none. */
  deliverPrefix?: string;
}

/** Placement, mirror and sources of a declared stream: created, updated and compared like its other settings. */
export interface StreamTopologyDeclaration {
  /** Which cluster (or tagged servers) holds the stream. Checked at boot: none that fits is an error naming what the server reports. */
  placement?: StreamPlacement;
  /**
   * Makes this stream a read-only copy of another (declare it with `subjects: []`). Cannot be
   * changed or removed in place. Not with `sources`.
   */
  mirror?: StreamSourceDeclaration;
  /** Streams whose messages are copied into this one (besides its own `subjects`, which may be `[]`). */
  sources?: StreamSourceDeclaration[];
}
