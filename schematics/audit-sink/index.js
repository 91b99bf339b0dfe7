// @ts-check
const { strings } = require('@angular-devkit/core');
const { scaffold } = require('../scaffold');

/**
 * `nest g -c gatehouse audit-sink <name>`: an `AuditSink`, its contract spec, and its entry in
 * the `auditSinks` of the module's GatehouseModule call.
 * @param {import('../scaffold').ScaffoldOptions} options
 */
exports.auditSink = (options) =>
  scaffold(options, {
    fileName: (name) => `${name}.audit-sink`,
    className: (name) => `${strings.classify(name)}AuditSink`,
    extra: 'auditSinks',
    providersFallback: false,
  });
