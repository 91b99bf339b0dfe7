// @ts-check
const { strings } = require('@angular-devkit/core');
const { scaffold } = require('../scaffold');

/**
 * `nest g -c gatehouse detector <name>`: a `@ReviewDetector()` rule, its spec, and its entry in
 * the `detectors` of the module's GatehouseModule call (else in the module's providers).
 * @param {import('../scaffold').ScaffoldOptions} options
 */
exports.detector = (options) =>
  scaffold(options, {
    fileName: (name) => `${name}.detector`,
    className: (name) => `${strings.classify(name)}Detector`,
    extra: 'detectors',
    providersFallback: true,
  });
