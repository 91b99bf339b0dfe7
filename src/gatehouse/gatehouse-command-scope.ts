import { Injectable, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';

/**
 * GatehouseModule's scope, for the command line: a command is created here, on demand, with
 * the services this GatehouseModule composed (its users, audit, review with the host's
 * detectors). The server never creates a command, so the commands' CLI-only dependencies
 * (nest-commander's InquirerService) are needed only in a CLI process.
 */
@Injectable()
export class GatehouseCommandScope {
  constructor(private readonly moduleRef: ModuleRef) {}

  create<T>(command: Type<T>): Promise<T> {
    return this.moduleRef.create(command);
  }
}
