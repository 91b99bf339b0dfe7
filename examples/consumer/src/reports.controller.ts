import { Controller, Get } from '@nestjs/common';
import { AuthenticatedUser, CurrentUser, Public, Roles } from 'gatehouse';
import './roles';

@Controller('reports')
export class ReportsController {
  @Public()
  @Get('status')
  status() {
    return { status: 'ok' }; // anyone
  }

  @Get('mine')
  mine(@CurrentUser() user: AuthenticatedUser) {
    return { username: user.username }; // any signed-in user (Gatehouse's global guard)
  }

  @Roles('auditor')
  @Get('audit')
  audit() {
    return { report: 'quarterly' }; // auditors only
  }
}
