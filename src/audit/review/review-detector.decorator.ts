import { DiscoveryService } from '@nestjs/core';

/**
 * Marks a provider implementing `ReviewDetectorRule` as a rule of the nightly review. The
 * review finds every such provider through Nest's DiscoveryService, in any module.
 */
export const ReviewDetector = DiscoveryService.createDecorator<void>();
