import { checkOptionObject, flag, nested, text, type OptionCheck, type OptionTable } from './option-checks.js';
import { describeValue } from '../errors/describe-value.js';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import type { ContractOptions, PublishContract } from '../interfaces/contract-options.interface.js';
import { subjectProblem } from '../utils/subjects.js';
import { checkSchemaOption } from '../schemas/payload-validation.js';

const subject: OptionCheck = (v, where, path) => {
  const bad = typeof v === 'string' ? subjectProblem(v) : `it is ${describeValue(v)}, not a string`;
  if (bad) throw new JetStreamConfigError(`${where}: ${path} is not a valid subject: ${bad}. Give the subject the service publishes, e.g. 'orders.created'.`);
};

const PUBLISH_CONTRACT_OPTIONS: OptionTable<PublishContract> = {
  subject,
  schema: (v, where, path) => void checkSchemaOption(where, path, v),
  description: text,
  validate: flag,
};

const CONTRACT_OPTIONS: OptionTable<ContractOptions> = {
  publishes: (v, where, path) => {
    if (!Array.isArray(v)) throw new JetStreamConfigError(`${where}: ${path} must be an array of { subject, schema? }; got ${describeValue(v)}.`);
    for (let i = 0; i < v.length; i++) {
      checkOptionObject(v[i], PUBLISH_CONTRACT_OPTIONS, where, `${path}[${i}]`);
      const entry = v[i] as PublishContract;
      if (entry.validate === true && entry.schema === undefined)
        throw new JetStreamConfigError(
          `${where}: ${path}[${i}] ('${entry.subject}') has validate: true but no schema to validate with; add its schema, or remove validate.`,
        );
    }
  },
  version: text,
  description: text,
};

/** `contract` of the module's options (contract-options.interface.ts). */
export const checkContractOptions: OptionCheck = nested(CONTRACT_OPTIONS);
