/**
 * Loads a database driver, an optional peer of the package, only when DATABASE_URL names its
 * database: a host on SQLite need not install `pg`, one on PostgreSQL need not build
 * `better-sqlite3`. A missing driver stops the boot with what to install.
 */
export function loadDriver<T>(name: 'pg' | 'better-sqlite3', url: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`)) {
      const scheme = url.slice(0, url.indexOf(':') + 1);
      throw new Error(
        `Gatehouse: the database URL (${scheme}…) needs the driver "${name}", an optional peer ` +
          `of gatehouse: npm install ${name}`,
      );
    }
    throw error;
  }
}
