import { encodeAccount, encodeOperator } from '@nats-io/jwt';
import { createAccount, createOperator, type KeyPair } from '@nats-io/nkeys';

/** An account's limits with nothing limited and JetStream enabled (`-1`: unlimited). */
export const UNLIMITED_ACCOUNT_LIMITS = {
  conn: -1,
  subs: -1,
  payload: -1,
  data: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
} as const;

/** An operator, the application's account it signed, and the nats-server config that trusts them. */
export interface OperatorAccounts {
  readonly operator: KeyPair;
  /** `APP`, with JetStream and no limits: sign users of it with `encodeUser(name, user, account)`. */
  readonly account: KeyPair;
  /** `operator`, the system account apart from `APP` (as in production) and both accounts preloaded in a memory resolver. */
  readonly serverConfig: string;
}

/** Makes a fresh operator with an `APP` account (JetStream, no limits) and a `SYS` account, for a server in operator mode. */
export async function makeOperatorAccounts(): Promise<OperatorAccounts> {
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const accountJwt = await encodeAccount('APP', account, { limits: { ...UNLIMITED_ACCOUNT_LIMITS } }, { signer: operator });
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const serverConfig = `operator: "${await encodeOperator('OP', operator)}"\nsystem_account: ${system.getPublicKey()}\nresolver: MEMORY\nresolver_preload: { ${account.getPublicKey()}: "${accountJwt}", ${system.getPublicKey()}: "${systemJwt}" }`;
  return { operator, account, serverConfig };
}
