/** Whether `v` is awaited as Nest (and `await`) await a value: any thenable, not only native Promises. */
export const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';
