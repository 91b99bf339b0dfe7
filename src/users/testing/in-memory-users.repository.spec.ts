import { behavesAsUsersRepository } from '../../testing';
import { InMemoryUsersRepository } from './in-memory-users.repository';

describe('InMemoryUsersRepository', () => {
  behavesAsUsersRepository(() => Promise.resolve(new InMemoryUsersRepository()));
});
