import { describeEachDialect } from '../../test/support/database';
import { behavesAsUsersRepository } from '../testing';
import { KyselyUsersRepository } from './users.repository';

describeEachDialect('KyselyUsersRepository', (database) => {
  behavesAsUsersRepository(async () => {
    await database().db.deleteFrom('users').execute();
    return new KyselyUsersRepository(database().db);
  });
});
