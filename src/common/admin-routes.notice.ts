import { Logger, OnApplicationBootstrap, Provider, Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/**
 * Says at boot why a feature's admin routes are absent. UsersModule, AuditModule and
 * ReviewModule declare no controller: their admin routes are mounted only by GatehouseModule,
 * next to authentication and behind AuthGuard, so a host that imports them without
 * authentication gets no routes rather than open ones (DESIGN "closed by default, even in
 * pieces"). Without this line such a host would only see 404s and not know why.
 */
export class AdminRoutesNotice implements OnApplicationBootstrap {
  private readonly logger = new Logger('Gatehouse');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly feature: string,
    private readonly routes: string,
    private readonly controllers: readonly Type[],
  ) {}

  onApplicationBootstrap(): void {
    const mounted = this.discovery
      .getControllers()
      .some((wrapper) => this.controllers.includes(wrapper.metatype as Type));
    if (mounted) return;
    this.logger.log(
      `${this.routes} not mounted: ${this.feature} is imported without authentication. ` +
        'Admin routes are mounted only by GatehouseModule.forRoot(...), next to AuthModule and ' +
        'behind AuthGuard with their role checks, never open.',
    );
  }
}

/** The notice of one feature module; the module must import `DiscoveryModule`. */
export function adminRoutesNotice(
  feature: string,
  routes: string,
  controllers: readonly Type[],
): Provider {
  return {
    provide: AdminRoutesNotice,
    useFactory: (discovery: DiscoveryService) =>
      new AdminRoutesNotice(discovery, feature, routes, controllers),
    inject: [DiscoveryService],
  };
}
