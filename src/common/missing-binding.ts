import type { FactoryProvider, InjectionToken } from '@nestjs/common';

/** A port nobody bound: raised at boot, never at the first request that needs it. */
export class MissingBindingError extends Error {
  constructor(
    readonly token: string,
    howToProvide: string,
  ) {
    super(`Gatehouse: nothing is bound to ${token}. ${howToProvide}`);
    this.name = 'MissingBindingError';
  }
}

/** An option the host gave that Gatehouse cannot work with: raised at boot, naming the option. */
export class InvalidOptionError extends Error {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`Gatehouse: option \`${option}\` ${problem}`);
    this.name = 'InvalidOptionError';
  }
}

/**
 * The provider a module registers for a port when the host gave no implementation: Nest builds
 * every singleton at boot, so the application fails to start with a message that names the
 * token and the option that binds it (a silent no-op would hide, e.g., sessions that outlive a
 * disabled account).
 */
export function missingBinding(
  token: InjectionToken,
  name: string,
  howToProvide: string,
): FactoryProvider {
  return {
    provide: token,
    useFactory: () => {
      throw new MissingBindingError(name, howToProvide);
    },
  };
}
