import { Controller, Get, INestApplication, Post } from '@nestjs/common';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HttpExceptionFilter } from '../../common';
import { isRateLimitExempt } from './rate-limit.guard';
import { RateLimitModule } from './rate-limit.module';

@Controller()
class ProbeController {
  @Get('ping')
  ping(): { ok: true } {
    return { ok: true };
  }

  @Post('other')
  other(): { ok: true } {
    return { ok: true };
  }

  @Get('health/ready')
  ready(): { ok: true } {
    return { ok: true };
  }

  @Get('metrics')
  metrics(): string {
    return 'up 1';
  }
}

describe('RateLimitModule', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RateLimitModule.forRoot({ limitPerMinute: 3 })],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>();
    // As with TRUST_PROXY=1: req.ip comes from X-Forwarded-For, so a test can be several clients.
    (app as NestExpressApplication).set('trust proxy', 1);
    app.useGlobalFilters(new HttpExceptionFilter());
    await app.init();
  });

  afterEach(async () => {
    await app.close();
  });

  const server = (): Server => app.getHttpServer() as Server;
  const from = (ip: string) => ({
    get: (path: string) => request(server()).get(path).set('X-Forwarded-For', ip),
    post: (path: string) => request(server()).post(path).set('X-Forwarded-For', ip),
  });

  it('allows the limit, then answers 429 RATE_LIMITED with Retry-After in the API.md body', async () => {
    const client = from('192.0.2.1');
    for (let index = 0; index < 3; index++) {
      const response = await client.get('/ping');
      expect(response.status).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBe('3');
    }
    const refused = await client.get('/ping');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many requests',
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('shares one budget per IP across routes and methods', async () => {
    const client = from('192.0.2.2');
    expect((await client.get('/ping')).status).toBe(200);
    expect((await client.post('/other')).status).toBe(201);
    expect((await client.get('/ping')).status).toBe(200);
    expect((await client.post('/other')).status).toBe(429);
  });

  it('counts each client IP separately', async () => {
    for (let index = 0; index < 3; index++) await from('192.0.2.3').get('/ping');
    expect((await from('192.0.2.3').get('/ping')).status).toBe(429);
    expect((await from('192.0.2.4').get('/ping')).status).toBe(200);
    // IPv6 clients of one /64 are still separate clients.
    for (let index = 0; index < 3; index++) await from('2001:db8::1').get('/ping');
    expect((await from('2001:db8::1').get('/ping')).status).toBe(429);
    expect((await from('2001:db8::2').get('/ping')).status).toBe(200);
  });

  it('never limits /health* and /metrics', async () => {
    const client = from('192.0.2.5');
    for (let index = 0; index < 3; index++) await client.get('/ping');
    for (let index = 0; index < 5; index++) {
      expect((await client.get('/health/ready')).status).toBe(200);
      expect((await client.get('/metrics')).status).toBe(200);
    }
    expect((await client.get('/ping')).status).toBe(429);
  });

  it('names the exempt paths', () => {
    expect(isRateLimitExempt('/health')).toBe(true);
    expect(isRateLimitExempt('/health/ready')).toBe(true);
    expect(isRateLimitExempt('/metrics')).toBe(true);
    expect(isRateLimitExempt('/metrics/x')).toBe(false);
    expect(isRateLimitExempt('/auth/login')).toBe(false);
  });
});
