import type { Role } from '../common';

export interface User {
  id: string;
  username: string;
  usernameNormalized: string;
  passwordHash: string;
  roles: Role[];
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
}

/** What the API shows of a user. */
export interface PublicUser {
  id: string;
  username: string;
  roles: Role[];
}

export interface AdminUserView extends PublicUser {
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toPublicUser(user: User): PublicUser {
  return { id: user.id, username: user.username, roles: user.roles };
}

export function toAdminUserView(user: User): AdminUserView {
  return {
    ...toPublicUser(user),
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
