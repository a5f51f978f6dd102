import 'reflect-metadata';
import { IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { z } from 'zod';
import { JetStreamConfigError } from '../errors/jetstream-transport.error.js';
import { PayloadValidationError } from './payload-validation.error.js';
import { isUnrecoverable } from '../settlement/settle-policy.js';
import { dtoSchema } from './dto-schema.js';
import { withPayloadSchema } from './payload-validation.js';
import { payloadJsonSchema } from './standard-schema.js';

class OrderDto {
  @IsString() id!: string;
  @IsInt() @Min(1) @Max(1000) qty!: number;
}

const zodOrder = z.object({ id: z.string(), qty: z.number().int().min(1).default(1) });

function bound(schema: unknown) {
  const seen: unknown[] = [];
  const handler = Object.assign(async (data: unknown) => void seen.push(data), { isEventHandler: true });
  const binding = withPayloadSchema(
    { subject: 'orders.created', handler, direct: (data: unknown, _ctx: unknown) => seen.push(data) },
    schema,
    "@JetStreamEvent('orders.created') on Orders.created",
  );
  return { binding, seen };
}

describe('payload schemas', () => {
  it('hands a zod-valid payload to the handler as zod parsed it (defaults applied), synchronously', () => {
    const { binding, seen } = bound(zodOrder);
    const result = binding.direct!({ id: 'o-1' }, {} as never);
    expect(result).toBe(1); // the direct call returned at once: no Promise in between
    expect(seen).toEqual([{ id: 'o-1', qty: 1 }]);
  });

  it('throws a PayloadValidationError naming the failing fields, which the settle policy treats as poison', () => {
    const { binding, seen } = bound(zodOrder);
    let thrown: unknown;
    try {
      binding.direct!({ id: 7, qty: 0 }, {} as never);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PayloadValidationError);
    const error = thrown as PayloadValidationError;
    expect(error.message).toMatch(
      /^Payload on "orders.created" does not match the schema of @JetStreamEvent\('orders.created'\) on Orders.created: id: .+; qty: .+\. Fix the publisher/,
    );
    expect(error.issues.map((i) => i.path)).toEqual([['id'], ['qty']]);
    expect(isUnrecoverable(error)).toBe(true);
    expect(seen).toEqual([]);
  });

  it('validates class-validator DTOs through dtoSchema: an instance on success, the constraints on failure', async () => {
    const { binding, seen } = bound(dtoSchema(OrderDto));
    await binding.handler({ id: 'o-2', qty: 3 });
    expect(seen[0]).toBeInstanceOf(OrderDto);
    expect(() => binding.direct!({ id: 'o-3', qty: 5000 }, {} as never)).toThrow(/qty: qty must not be greater than 1000/);
    expect(() => binding.direct!('not json object', {} as never)).toThrow(/expected an object \(OrderDto\), got string/);
  });

  it('waits for an async validator', async () => {
    const { binding, seen } = bound(dtoSchema(OrderDto, { sync: false }));
    await binding.direct!({ id: 'o-4', qty: 2 }, {} as never);
    await expect(binding.direct!({ id: 'o-5' }, {} as never)).rejects.toBeInstanceOf(PayloadValidationError);
    expect(seen).toHaveLength(1);
  });

  it('leaves a handler without schema as it is (nothing wraps it)', () => {
    const handler = async () => undefined;
    expect(withPayloadSchema({ subject: 's', handler }, undefined, 'at').handler).toBe(handler);
  });

  it('refuses what is not a schema, with the fix for a DTO class', () => {
    expect(() => bound(OrderDto)).toThrow(JetStreamConfigError);
    expect(() => bound(OrderDto)).toThrow(/schema must be a Standard Schema validator .* pass dtoSchema\(OrderDto\)/);
    expect(() => bound({ type: 'object' })).toThrow(/got {"type":"object"}\./);
  });

  it('exports the JSON Schema of zod and of a DTO', () => {
    expect(payloadJsonSchema(zodOrder)).toMatchObject({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
    expect(payloadJsonSchema(dtoSchema(OrderDto))).toMatchObject({
      title: 'OrderDto',
      properties: { id: { type: 'string' }, qty: { type: 'integer', maximum: 1000 } },
    });
    expect(payloadJsonSchema({ validator: zodOrder, jsonSchema: { type: 'object' } })).toEqual({ type: 'object' });
  });

  it("inlines a nested DTO's JSON Schema (no $ref to a definition the document would not carry), a self-reference as a plain object", () => {
    class AddressDto {
      @IsString()
      city!: string;
    }
    class CustomerDto {
      @ValidateNested()
      @Type(() => AddressDto)
      address!: AddressDto;

      @IsOptional()
      @ValidateNested()
      @Type(() => CustomerDto)
      referrer?: CustomerDto;
    }
    const schema = payloadJsonSchema(dtoSchema(CustomerDto));
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(schema).toMatchObject({
      title: 'CustomerDto',
      properties: { address: { title: 'AddressDto', properties: { city: { type: 'string' } } }, referrer: { type: 'object' } },
    });
  });
});
