import { Module } from '@nestjs/common';
import { DEFAULT_REVIEW_OPTIONS, GatehouseModule } from 'gatehouse';
import { MemoryUsersRepository } from './memory-users.repository';
import { PrivilegedLoginDetector } from './privileged-login.detector';
import { ReportsController } from './reports.controller';
import { ROLES } from './roles';

const dataDir = process.env.DATA_DIR ?? 'data';

@Module({
  imports: [
    GatehouseModule.forRootAsync({
      useFactory: () => ({
        roles: ROLES,
        database: { url: `sqlite:${dataDir}/app.db`, timeoutMs: 5000, poolSize: 1 },
        auth: {
          jwt: {
            secret: process.env.JWT_SECRET!, // at least 32 bytes
            accessTtl: 900,
            issuer: 'example',
            audience: 'example-api',
            allowBearer: false,
          },
          session: { refreshTtl: 1_209_600, reuseGrace: 30, absoluteTtl: 2_592_000 },
          cookies: { secure: process.env.NODE_ENV === 'production' },
          appOrigins: [],
        },
        users: {
          hashing: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
          dataDir,
          createInitialAdmin: true, // "admin", password from ADMIN_PASSWORD or a 0600 file
          bootstrapAdmin: { username: 'admin', password: process.env.ADMIN_PASSWORD },
        },
        audit: {
          sealKey: process.env.AUDIT_SEAL_KEY!, // at least 32 bytes
          logDir: `${dataDir}/audit`,
          fileSink: true,
          retentionDays: 90,
          review: { ...DEFAULT_REVIEW_OPTIONS, reportDir: `${dataDir}/reports` },
        },
        throttle: {
          pairMaxFailures: 5,
          pairWindow: 900,
          pairLock: 60,
          pairLockMax: 3600,
          userMaxFailures: 20,
          userWindow: 3600,
          userLock: 900,
          ipMaxFailures: 100,
          ipWindow: 3600,
          ipBlock: 3600,
        },
      }),
      usersStore: MemoryUsersRepository,
      detectors: [PrivilegedLoginDetector],
    }),
  ],
  controllers: [ReportsController],
})
export class AppModule {}
