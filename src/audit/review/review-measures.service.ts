import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit.service';
import type { BlockKind } from '../blocks/block';
import { BlocksService } from '../blocks/blocks.service';
import { SessionRevoker } from '../session-revoker.port';
import type { MeasureRequest } from './review.types';
import type { FindingView, MeasureRecord } from './review.view';
import { errorMessage } from '../../common';

export interface MeasureDurations {
  ipBlockBase: number;
  ipBlockMax: number;
  accountLock: number;
}

/**
 * What the review does about its findings. Every measure is idempotent (a block already in
 * force is left alone, a repeat finding is not acted on twice) and audited. IP blocks double
 * for each earlier block of the same IP, up to the cap.
 */
@Injectable()
export class ReviewMeasuresService {
  private readonly logger = new Logger('Review');

  constructor(
    private readonly blocks: BlocksService,
    private readonly audit: AuditService,
    private readonly revoker: SessionRevoker,
  ) {}

  /** Applies the measures of the findings, once per (kind, target) in the run. */
  async apply(
    findings: FindingView[],
    durations: MeasureDurations,
    now: number,
  ): Promise<MeasureRecord[]> {
    const done = new Set<string>();
    const records: MeasureRecord[] = [];
    for (const finding of findings) {
      if (finding.repeatOf) continue;
      for (const request of finding.measures ?? []) {
        const target = request.kind === 'block_ip' ? request.ip : request.username;
        const key = `${request.kind}:${target}`;
        if (done.has(key)) continue;
        done.add(key);
        records.push(await this.applyOne(request, target, finding, durations, now));
      }
    }
    return records;
  }

  /** `review_finding`: one audit event per new finding, CRITICAL for critical and high. */
  async recordFinding(finding: FindingView, runId: string): Promise<void> {
    const level =
      finding.severity === 'critical' || finding.severity === 'high'
        ? 'CRITICAL'
        : finding.severity === 'medium'
          ? 'WARN'
          : 'INFO';
    await this.audit.record({
      type: 'review_finding',
      outcome: 'success',
      level,
      username: finding.subjectKind === 'username' ? finding.subject : undefined,
      details: {
        findingId: finding.id,
        runId,
        rule: finding.rule,
        severity: finding.severity,
        subjectKind: finding.subjectKind,
        subject: finding.subject,
        evidence: finding.evidence,
        firstSeen: finding.firstSeen,
        lastSeen: finding.lastSeen,
      },
    });
  }

  private async applyOne(
    request: MeasureRequest,
    target: string,
    finding: FindingView,
    durations: MeasureDurations,
    now: number,
  ): Promise<MeasureRecord> {
    const record: MeasureRecord = {
      kind: request.kind,
      target,
      findingId: finding.id,
      result: 'applied',
    };
    try {
      switch (request.kind) {
        case 'block_ip': {
          const previous = await this.blocks.previousBlockCount('ip', target);
          const durationSeconds = Math.min(
            durations.ipBlockBase * 2 ** Math.min(previous, 30),
            durations.ipBlockMax,
          );
          await this.placeBlock(record, 'ip', finding, durationSeconds, now);
          break;
        }
        case 'lock_account': {
          await this.placeBlock(record, 'account', finding, durations.accountLock, now);
          // No session ends with the lock: failures are no sign that anyone got in, and ending
          // the owner's sessions would hand attackers a way to log anyone out. Sessions end only
          // for a suspicious success (`success-after-failures`, `refresh-token-reuse`).
          break;
        }
        case 'revoke_sessions':
          record.sessionsRevoked = await this.revokeSessions(target, `review:${finding.rule}`);
          break;
      }
    } catch (error) {
      record.result = 'failed';
      record.detail = errorMessage(error);
      this.logger.error(`Measure ${request.kind} on ${target} failed: ${record.detail}`);
    }
    return record;
  }

  /** Places the block a measure asks for (or finds it in force) and notes it in the record. */
  private async placeBlock(
    record: MeasureRecord,
    kind: BlockKind,
    finding: FindingView,
    durationSeconds: number,
    now: number,
  ): Promise<void> {
    const { block, created } = await this.blocks.place(
      {
        kind,
        subject: record.target,
        reason: `review:${finding.rule}`,
        durationSeconds,
        findingId: finding.id,
      },
      now,
    );
    Object.assign(record, {
      result: created ? 'applied' : 'already_in_force',
      blockId: block.id,
      expiresAt: block.expiresAt,
      durationSeconds: created ? durationSeconds : undefined,
    });
  }

  /** The revoker (auth) audits each revocation as `authn_token_revoked`, in this run's context. */
  private revokeSessions(username: string, reason: string): Promise<number> {
    return this.revoker.revokeAllForUsername(username, reason);
  }
}
