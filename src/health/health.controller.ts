import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthIndicatorResult } from '@nestjs/terminus';
import { AuditService } from '../audit';
import { GatehouseResponse, HttpPlatform, Public } from '../common';
import { DatabaseHealthIndicator } from './database.health';
import { HealthDto } from './health.responses';
import { OptionalHealthIndicators } from './optional-health.indicators';

type Status = 'ok' | 'degraded' | 'error';

/**
 * `/health` (liveness with detail) and `/health/ready` (readiness). The database is
 * essential; Redis and the audit file sink are not, so their loss only degrades liveness.
 */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseHealthIndicator,
    private readonly audit: AuditService,
    private readonly optional: OptionalHealthIndicators,
    private readonly platform: HttpPlatform,
  ) {}

  private async gather(): Promise<{
    info: HealthIndicatorResult;
    databaseUp: boolean;
    optionalDown: string[];
    readinessDown: string[];
  }> {
    const info: HealthIndicatorResult = { ...(await this.database.check('database')) };
    const optionalDown: string[] = [];
    const readinessDown: string[] = [];
    for (const [name, healthy] of Object.entries(this.audit.sinkHealth())) {
      const key = name === 'file' ? 'auditFile' : `audit_${name}`;
      info[key] = { status: healthy ? 'up' : 'down' };
      if (!healthy) optionalDown.push(key);
    }
    for (const [key, result] of Object.entries(await this.optional.check())) {
      info[key] = result;
      if (result.status !== 'up') {
        optionalDown.push(key);
        readinessDown.push(key);
      }
    }
    return { info, databaseUp: info.database.status === 'up', optionalDown, readinessDown };
  }

  @Get()
  @HttpCode(200)
  @ApiOperation({ operationId: 'health', summary: 'Liveness with detail' })
  @ApiOkResponse({
    type: HealthDto,
    description: 'Serving (`degraded` when Redis or the audit file is down)',
  })
  @ApiServiceUnavailableResponse({ type: HealthDto, description: 'The database is down' })
  async liveness(
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<{ status: Status; info: HealthIndicatorResult }> {
    const { info, databaseUp, optionalDown } = await this.gather();
    if (!databaseUp) {
      this.platform.setStatus(response, 503);
      return { status: 'error', info };
    }
    return { status: optionalDown.length > 0 ? 'degraded' : 'ok', info };
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOperation({ operationId: 'ready', summary: 'Readiness for load balancers' })
  @ApiOkResponse({ type: HealthDto, description: 'Ready' })
  @ApiServiceUnavailableResponse({
    type: HealthDto,
    description: 'A configured dependency is down',
  })
  async readiness(
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<{ status: Status; info: HealthIndicatorResult }> {
    const { info, databaseUp, readinessDown } = await this.gather();
    if (!databaseUp || readinessDown.length > 0) {
      this.platform.setStatus(response, 503);
      return { status: 'error', info };
    }
    return { status: 'ok', info };
  }
}
