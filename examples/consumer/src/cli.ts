import { runGatehouseCli } from 'gatehouse';
import { AppModule } from './app.module';

// `node dist/cli.js audit:review`: Gatehouse's commands over this app's module, so they use
// its user store, its options and its detectors (docs/cli.md of the gatehouse package).
void runGatehouseCli(AppModule);
