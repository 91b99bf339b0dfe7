import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiError, GatehouseRequest, GatehouseResponse, HttpPlatform, Public } from '../common';
import { MetricsAccess } from './metrics.access';
import { MetricsService } from './metrics.service';

/**
 * `GET /metrics` (Prometheus text). Public for the JWT guard (scrapers hold no session) and
 * outside the general rate limit; instead it answers only listed IPs or the bearer metrics
 * token, `403 FORBIDDEN` to anyone else. Mounted only when `METRICS_ENABLED` is on, so
 * otherwise it is a plain 404 like any unknown route.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly access: MetricsAccess,
    private readonly platform: HttpPlatform,
  ) {}

  @Get()
  async scrape(
    @Req() request: GatehouseRequest,
    @Res({ passthrough: true }) response: GatehouseResponse,
  ): Promise<string> {
    if (!this.access.allows(request.ip, request.headers.authorization)) {
      throw new ApiError(403, 'FORBIDDEN', 'Forbidden');
    }
    const { contentType, body } = await this.metrics.render();
    this.platform.setHeader(response, 'Content-Type', contentType);
    this.platform.setHeader(response, 'Cache-Control', 'no-store');
    return body;
  }
}
