import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiContract } from '../common';
import { AuditEventPageDto } from './audit.responses';
import { Roles } from '../common';
// A pure function with no module behind it; audit imports no users provider.
import { normalizeUsername } from '../common';
import { AuditEventsPageDto, AuditEventsQueryDto, toAuditEventFilter } from './audit-events.dto';
import { AuditService } from './audit.service';

/** `GET /audit/events`: the audit trail, newest first, for admins. */
@ApiTags('audit')
@Roles('admin')
@Controller('audit/events')
export class AuditEventsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ operationId: 'listAuditEvents', summary: 'The audit trail, newest first' })
  @ApiOkResponse({ type: AuditEventPageDto, description: 'One page of events' })
  @ApiContract({ auth: 'access', admin: true, validated: true })
  list(@Query() query: AuditEventsQueryDto): Promise<AuditEventsPageDto> {
    return this.audit.list(toAuditEventFilter(query, normalizeUsername), query.limit, query.cursor);
  }
}
