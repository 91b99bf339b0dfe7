export {
  GatehouseModule,
  GATEHOUSE_OPTIONS,
  InjectGatehouseOptions,
  GatehouseOptionsModule,
} from './gatehouse.module';
export type { GatehouseModuleOptions, GatehouseModuleExtras } from './gatehouse.options';
export { GatehouseCommandScope } from './gatehouse-command-scope';
export { markCliProcess } from './cli-process';
