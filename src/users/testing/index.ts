export { InMemoryUsersRepository } from './in-memory-users.repository';
