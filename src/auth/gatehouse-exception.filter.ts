import { Catch, Injectable } from '@nestjs/common';
import { ErrorResponseHook, HttpExceptionFilter, HttpPlatform } from '../common';

/**
 * The error format of API.md on Gatehouse's controllers (`@UseFilters`), with auth's hook that
 * audits a login refused before its handler. Injected, so a missing hook fails at boot.
 */
@Injectable()
@Catch()
export class GatehouseExceptionFilter extends HttpExceptionFilter {
  constructor(hook: ErrorResponseHook, platform: HttpPlatform) {
    super([hook], platform);
  }
}
