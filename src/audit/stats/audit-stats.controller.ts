import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common';
import { ApiContract } from '../../common';
import { toUtcInstant } from '../audit-events.dto';
import { AuditStatsDto, AuditStatsQueryDto } from './audit-stats.dto';
import { AuditStatsService } from './audit-stats.service';

/** `GET /audit/stats`: what the console's overview draws, for admins. */
@ApiTags('audit')
@Roles('admin')
@Controller('audit/stats')
export class AuditStatsController {
  constructor(private readonly stats: AuditStatsService) {}

  @Get()
  @ApiOperation({ operationId: 'getAuditStats', summary: 'Figures of the console overview' })
  @ApiOkResponse({ type: AuditStatsDto, description: 'Series and top failing IPs and usernames' })
  @ApiContract({ auth: 'access', admin: true, validated: true })
  get(@Query() query: AuditStatsQueryDto): Promise<AuditStatsDto> {
    const instant = (value?: string) =>
      value === undefined ? undefined : Date.parse(toUtcInstant(value));
    return this.stats.stats({
      from: instant(query.from),
      to: instant(query.to),
      bucket: query.bucket,
    });
  }
}
