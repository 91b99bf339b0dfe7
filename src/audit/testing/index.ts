export { RecordingAudit } from './recording-audit';
