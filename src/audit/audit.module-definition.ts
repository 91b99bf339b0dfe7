import { ConfigurableModuleBuilder, Inject } from '@nestjs/common';

export interface AuditModuleOptions {
  /** HMAC key of the seals and of `sessionRef`; at least 32 bytes. */
  sealKey: string;
  /** Folder of `audit-YYYY-MM-DD.jsonl`; the file sink is off when `fileSink` is false. */
  logDir: string;
  fileSink: boolean;
  /** Days kept in the database and in rotated files. */
  retentionDays: number;
}

export const {
  ConfigurableModuleClass: AuditConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

export const InjectAuditOptions = (): ParameterDecorator => Inject(AUDIT_MODULE_OPTIONS);
