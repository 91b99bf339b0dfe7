export type BlockKind = 'ip' | 'account';

export interface Block {
  id: string;
  kind: BlockKind;
  /** An IP address, or a normalised username for an account lock. */
  subject: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
  findingId?: string;
}
