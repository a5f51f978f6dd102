/** Which of the app's connections a handler or a declared stream goes through (the `connections` option). */
export interface ConnectionChoiceOption {
  /**
   * The name of a connection in the `connections` option; `'default'` (the default) is the `connection` option.
   * A handler's consumer, its dead letters and its replays go through it, as does a declared stream's provisioning.
   */
  connection?: string;
}
