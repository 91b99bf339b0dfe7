// @ts-check
const { strings } = require('@angular-devkit/core');
const { scaffold } = require('../scaffold');

/**
 * `nest g -c gatehouse users-store <name>`: a `UsersRepository`, its contract spec, and the
 * `usersStore` of the module's GatehouseModule call.
 * @param {import('../scaffold').ScaffoldOptions} options
 */
exports.usersStore = (options) =>
  scaffold(options, {
    fileName: (name) => `${name}-users.repository`,
    className: (name) => `${strings.classify(name)}UsersRepository`,
    extra: 'usersStore',
    providersFallback: false,
  });
