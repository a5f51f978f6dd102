type Method = (this: never, ...args: never[]) => unknown;

/**
 * One method of a Nest class replaced while at least one JetStream server needs it, and put back
 * when the last one closes: an app without a live JetStream server runs Nest untouched. Each
 * copy of Nest loaded (CommonJS and ES modules) is patched through its own prototype.
 */
export class PrototypePatch<F extends Method> {
  private users = 0;
  private original?: F;
  private wrapped?: F;

  constructor(
    private readonly proto: () => object,
    private readonly key: string,
    private readonly wrap: (original: F) => F,
  ) {}

  /** Patches on the first user; returns this user's release (safe to call more than once). */
  acquire(): () => void {
    const proto = this.proto() as Record<string, unknown>;
    if (this.users === 0) {
      const current = proto[this.key];
      if (typeof current !== 'function') return () => undefined;
      this.original = current as F;
      this.wrapped = this.wrap(this.original);
      proto[this.key] = this.wrapped;
    }
    this.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      // Put back only what is still ours: a later patch by someone else stays in place.
      if (proto[this.key] === this.wrapped) proto[this.key] = this.original;
      this.original = undefined;
      this.wrapped = undefined;
    };
  }

  /** Whether the method is patched now. */
  get active(): boolean {
    return this.users > 0;
  }
}
