import { Controller, Get, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common';
import { toUtcInstant } from '../audit-events.dto';
import { AuditStatsDto, AuditStatsQueryDto } from './audit-stats.dto';
import { AuditStatsService } from './audit-stats.service';

/** `GET /audit/stats`: what the console's overview draws, for admins. */
@ApiTags('audit')
@ApiCookieAuth()
@Roles('admin')
@Controller('audit/stats')
export class AuditStatsController {
  constructor(private readonly stats: AuditStatsService) {}

  @Get()
  @ApiOkResponse({ type: AuditStatsDto })
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
