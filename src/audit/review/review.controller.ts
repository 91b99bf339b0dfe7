import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCookieAuth, ApiTags } from '@nestjs/swagger';
import { ApiError, notFound } from '../../common';
import { Roles } from '../../common/auth-metadata';
import type { Block } from '../blocks/block';
import { BlocksService } from '../blocks/blocks.service';
import type { IntegrityReport } from './audit-seal.service';
import { ReviewListQueryDto, RunReviewDto, toUtcIso } from './review.dto';
import { ReviewService } from './review.service';
import type { ReviewRunSummary, ReviewRunView } from './review.view';

function encodeBlockCursor(id: string): string {
  return Buffer.from(`bk1:${id}`).toString('base64url');
}

function decodeBlockCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('bk1:') || text.length > 132)
    throw new ApiError(400, 'VALIDATION_FAILED', 'Invalid cursor');
  return text.slice(4);
}

/** The review's routes: runs, blocks in force, and the integrity of the sealed trail. Admins only. */
@ApiTags('audit')
@ApiCookieAuth()
@Roles('admin')
@Controller('audit')
export class ReviewController {
  constructor(
    private readonly reviews: ReviewService,
    private readonly blocks: BlocksService,
  ) {}

  @Get('reviews')
  listReviews(
    @Query() query: ReviewListQueryDto,
  ): Promise<{ items: ReviewRunSummary[]; nextCursor: string | null }> {
    return this.reviews.listRuns(query.limit, query.cursor);
  }

  @Get('reviews/:id')
  async getReview(@Param('id') id: string): Promise<ReviewRunView> {
    const run = await this.reviews.findRun(id);
    if (!run) throw notFound('Review not found');
    return run;
  }

  /** 201 with the run; 409 REVIEW_RUNNING while another run holds the claim. */
  @Post('reviews')
  runReview(@Body() body: RunReviewDto): Promise<ReviewRunView> {
    return this.reviews.run({
      from: body.from === undefined ? undefined : toUtcIso(body.from),
      to: body.to === undefined ? undefined : toUtcIso(body.to),
      dryRun: body.dryRun,
      trigger: 'api',
    });
  }

  @Get('blocks')
  async listBlocks(
    @Query() query: ReviewListQueryDto,
  ): Promise<{ items: Block[]; nextCursor: string | null }> {
    const afterId = query.cursor === undefined ? undefined : decodeBlockCursor(query.cursor);
    const blocks = await this.blocks.list(query.limit + 1, afterId);
    const items = blocks.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: blocks.length > query.limit && last ? encodeBlockCursor(last.id) : null,
    };
  }

  /** Lifts a block in force (audited as `ip_unblocked`); 404 for an unknown or lifted one. */
  @Delete('blocks/:id')
  @HttpCode(204)
  async liftBlock(@Param('id') id: string): Promise<void> {
    const lifted = await this.blocks.lift(id);
    if (!lifted) throw notFound('Block not found');
  }

  @Get('integrity')
  async integrity(): Promise<Omit<IntegrityReport, 'retiredSeals'> & { retiredSeals: number }> {
    return this.reviews.verifyIntegrity();
  }
}
