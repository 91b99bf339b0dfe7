// The roles this app declares: `@Roles()` accepts them, `GatehouseModule` is given the same list.
declare module 'gatehouse' {
  interface GatehouseRoles {
    auditor: true;
  }
}

export const ROLES = ['admin', 'user', 'auditor'];
