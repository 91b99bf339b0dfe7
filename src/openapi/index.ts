export { buildOpenApiDocument, packageVersion } from './openapi.document';
export type { OpenApiDocumentOptions } from './openapi.document';
