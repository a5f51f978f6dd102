import type { IdempotencyStore } from '../interfaces/idempotency-store.interface.js';
import { KvIdempotencyStore } from './kv-idempotency.store.js';

/** The KV bucket of the app's idempotency store, when it is a `KvIdempotencyStore` (its name read from the server once). */
export async function kvBucketsOf(store: IdempotencyStore<unknown> | undefined): Promise<string[]> {
  return store instanceof KvIdempotencyStore ? [await store.bucketName()] : [];
}

/**
 * What a `KvIdempotencyStore` does on its bucket `KV_<bucket>`, for the roles that run handlers:
 * reads its status (stream info), gets a key (direct get, or a message get on a bucket without
 * direct get), creates a key (a publish on `$KV.<bucket>.<key>`). `admin` may also create and
 * update the bucket (`new Kvm(nc).create(...)`). A `producer` runs no handler: nothing.
 */
export function kvIdempotencyRules(buckets: readonly string[] | undefined, role: 'admin' | 'consumer' | 'producer'): string[] {
  if (role === 'producer') return [];
  return (buckets ?? []).flatMap((b) => [
    `$JS.API.STREAM.INFO.KV_${b}`,
    `$JS.API.DIRECT.GET.KV_${b}`,
    `$JS.API.DIRECT.GET.KV_${b}.>`,
    `$JS.API.STREAM.MSG.GET.KV_${b}`,
    `$KV.${b}.>`,
    ...(role === 'admin' ? [`$JS.API.STREAM.CREATE.KV_${b}`, `$JS.API.STREAM.UPDATE.KV_${b}`] : []),
  ]);
}
