import { IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/**
 * `orders.created` as a class-validator DTO: the reservations handler's schema
 * (`dtoSchema(OrderCreatedDto)`), the same contract as the shared zod `OrderCreatedSchema`.
 */
export class OrderCreatedDto {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  id!: string;

  @IsString()
  @MinLength(1)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  qty!: number;
}
