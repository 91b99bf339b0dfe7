import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiContract } from '../../common';
import { BlockPageDto, IntegrityDto, ReviewRunDto, ReviewRunPageDto } from '../audit.responses';
import { notFound, Page } from '../../common';
import { Roles } from '../../common';
import type { Block } from '../blocks/block';
import { BlocksService } from '../blocks/blocks.service';
import type { IntegrityReport } from './audit-seal.service';
import { ReviewListQueryDto, RunReviewDto } from './review.dto';
import { toUtcIso } from './review.types';
import { ReviewService } from './review.service';
import type { ReviewRunSummary, ReviewRunView } from './review.view';

/** The review's routes: runs, blocks in force, and the integrity of the sealed trail. Admins only. */
@ApiTags('audit')
@Roles('admin')
@Controller('audit')
export class ReviewController {
  constructor(
    private readonly reviews: ReviewService,
    private readonly blocks: BlocksService,
  ) {}

  @ApiOperation({ operationId: 'listReviews', summary: 'Review runs, newest first' })
  @ApiOkResponse({ type: ReviewRunPageDto, description: 'One page of runs' })
  @ApiContract({ auth: 'access', admin: true, validated: true })
  @Get('reviews')
  listReviews(@Query() query: ReviewListQueryDto): Promise<Page<ReviewRunSummary>> {
    return this.reviews.listRuns(query.limit, query.cursor);
  }

  @ApiOperation({ operationId: 'getReview', summary: 'One run with its findings and measures' })
  @ApiOkResponse({ type: ReviewRunDto, description: 'The run' })
  @ApiContract({ auth: 'access', admin: true, errors: { 404: ['NOT_FOUND'] } })
  @Get('reviews/:id')
  async getReview(@Param('id') id: string): Promise<ReviewRunView> {
    const run = await this.reviews.findRun(id);
    if (!run) throw notFound('Review not found');
    return run;
  }

  /** 201 with the run; 409 REVIEW_RUNNING while another run holds the claim. */
  @ApiOperation({ operationId: 'runReview', summary: 'Run a review now' })
  @ApiCreatedResponse({ type: ReviewRunDto, description: 'The run, finished' })
  @ApiContract({
    auth: 'access',
    csrf: true,
    admin: true,
    body: true,
    errors: { 409: ['REVIEW_RUNNING'] },
  })
  @Post('reviews')
  runReview(@Body() body: RunReviewDto): Promise<ReviewRunView> {
    return this.reviews.run({
      from: body.from === undefined ? undefined : toUtcIso(body.from),
      to: body.to === undefined ? undefined : toUtcIso(body.to),
      dryRun: body.dryRun,
      trigger: 'api',
    });
  }

  @ApiOperation({ operationId: 'listBlocks', summary: 'IP blocks and account locks in force' })
  @ApiOkResponse({ type: BlockPageDto, description: 'One page of blocks' })
  @ApiContract({ auth: 'access', admin: true, validated: true })
  @Get('blocks')
  listBlocks(@Query() query: ReviewListQueryDto): Promise<Page<Block>> {
    return this.blocks.page(query.limit, query.cursor);
  }

  /** Lifts a block in force (audited as `ip_unblocked`); 404 for an unknown or lifted one. */
  @ApiOperation({ operationId: 'liftBlock', summary: 'Lift a block in force (audited)' })
  @ApiNoContentResponse({ description: 'Lifted' })
  @ApiContract({ auth: 'access', csrf: true, admin: true, errors: { 404: ['NOT_FOUND'] } })
  @Delete('blocks/:id')
  @HttpCode(204)
  async liftBlock(@Param('id') id: string): Promise<void> {
    const lifted = await this.blocks.lift(id);
    if (!lifted) throw notFound('Block not found');
  }

  @ApiOperation({ operationId: 'getIntegrity', summary: 'Recompute the seal chain' })
  @ApiOkResponse({ type: IntegrityDto, description: 'The result of the recomputation' })
  @ApiContract({ auth: 'access', admin: true })
  @Get('integrity')
  async integrity(): Promise<Omit<IntegrityReport, 'retiredSeals'> & { retiredSeals: number }> {
    return this.reviews.verifyIntegrity();
  }
}
