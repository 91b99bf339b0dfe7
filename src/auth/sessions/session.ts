export interface Session {
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end of the session (epoch ms). */
  expiresAt: number;
  refreshExpiresAt: number;
  refreshHash: string;
  refreshGeneration: number;
  refreshSalt: string;
  previousRefreshHash: string | null;
  rotatedAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
  ip: string;
  userAgent: string;
}

/** What the guard needs on every request to tell a live session from an ended one. */
export interface SessionState {
  userId: string;
  /** Undefined when the user lives in a host store (not in Gatehouse's users table). */
  usernameNormalized?: string;
  expiresAt: number;
  /** Revoked, or its user disabled or deleted. */
  ended: boolean;
}
