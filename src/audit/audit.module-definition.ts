import { ConfigurableModuleBuilder, Inject, Type } from '@nestjs/common';
import { AuditFileSink } from './audit-file.sink';
import { AUDIT_SINKS, AuditSink } from './audit-sink';
import type { ReviewOptions } from './review/review.options';

export interface AuditModuleOptions {
  /** HMAC key of the seals and of `sessionRef`; at least 32 bytes. */
  sealKey: string;
  /** Folder of `audit-YYYY-MM-DD.jsonl`; the file sink is off when `fileSink` is false. */
  logDir: string;
  fileSink: boolean;
  /** Days kept in the database and in rotated files. */
  retentionDays: number;
  /** The nightly review (AppConfig.review); without it the 23:00 job stays off. */
  review?: ReviewOptions;
}

export interface AuditModuleExtras {
  /** More sinks (provider classes) that receive every committed event after the file sink. */
  sinks: Type<AuditSink>[];
}

/** The options token, named up front so the extras below can inject it. */
export const AUDIT_MODULE_OPTIONS = Symbol('AUDIT_MODULE_OPTIONS');

export const {
  ConfigurableModuleClass: AuditConfigurableModule,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>({
  optionsInjectionToken: AUDIT_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<AuditModuleExtras>({ sinks: [] }, (definition, extras) => ({
    ...definition,
    providers: [
      ...(definition.providers ?? []),
      ...extras.sinks,
      {
        provide: AuditFileSink,
        // null when AUDIT_FILE_ENABLED=false: nothing is opened and /health shows no file sink.
        useFactory: (options: AuditModuleOptions): AuditFileSink | null =>
          options.fileSink
            ? new AuditFileSink({
                logDir: options.logDir,
                retentionDays: options.retentionDays,
                sealKey: options.sealKey,
              })
            : null,
        inject: [AUDIT_MODULE_OPTIONS],
      },
      {
        provide: AUDIT_SINKS,
        useFactory: (...sinks: (AuditSink | null)[]): AuditSink[] =>
          sinks.filter((sink): sink is AuditSink => sink !== null),
        inject: [AuditFileSink, ...extras.sinks],
      },
    ],
  }))
  .build();

export const InjectAuditOptions = (): ParameterDecorator => Inject(AUDIT_MODULE_OPTIONS);
