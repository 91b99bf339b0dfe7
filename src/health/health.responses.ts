import { ApiProperty } from '@nestjs/swagger';

/** `/health` and `/health/ready`: the same body with 200 and with 503. */
export class HealthDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'error'] })
  status!: string;

  @ApiProperty({
    type: 'object',
    description: 'One entry per dependency: `database`, `redis`?, `auditFile`.',
    additionalProperties: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['up', 'down'] } },
      required: ['status'],
      additionalProperties: true,
    },
  })
  info!: Record<string, { status: string }>;
}
