import type { LoggerService } from '@nestjs/common';
import { WinstonModule, utilities as nestWinstonUtilities } from 'nest-winston';
import winston from 'winston';
import { currentRequestContext } from './request-context';

export interface AppLoggerOptions {
  level: string;
  format: 'json' | 'pretty';
}

/** Stamps every application log line with the request id of the work it belongs to. */
const requestIdFormat = winston.format((info) => {
  const context = currentRequestContext();
  if (context && info.requestId === undefined) info.requestId = context.requestId;
  return info;
});

/**
 * The application logger (nest-winston). It is separate from the audit file logger and never
 * receives audit payloads, passwords, tokens or cookies.
 */
export function createAppLogger(options: AppLoggerOptions): LoggerService {
  const format =
    options.format === 'json'
      ? winston.format.combine(requestIdFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          requestIdFormat(),
          winston.format.timestamp(),
          nestWinstonUtilities.format.nestLike('Gatehouse', {
            colors: process.stdout.isTTY,
            prettyPrint: true,
          }),
        );
  return WinstonModule.createLogger({
    level: options.level,
    transports: [new winston.transports.Console({ format, stderrLevels: ['error'] })],
  });
}
