import { Command, CommandRunner, Option } from 'nest-commander';
import { JSON_OPTION, formatTable, printJson, printLines } from '../../cli/index';
import type { Block } from './block';
import { BlocksService } from './blocks.service';

interface JsonOption {
  json?: boolean;
}

/** Same listing as `GET /audit/blocks`, every page. */
@Command({ name: 'blocks:list', description: 'List the blocks in force (as GET /audit/blocks)' })
export class BlocksListCommand extends CommandRunner {
  constructor(private readonly blocks: BlocksService) {
    super();
  }

  async run(_params: string[], options: JsonOption = {}): Promise<void> {
    const all: Block[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.blocks.list(500, after);
      all.push(...page);
      if (page.length < 500) break;
      after = page[page.length - 1].id;
    }
    if (options.json) {
      printJson({ items: all });
      return;
    }
    printLines(
      formatTable(
        ['ID', 'KIND', 'SUBJECT', 'EXPIRES', 'REASON'],
        all.map((block) => [block.id, block.kind, block.subject, block.expiresAt, block.reason]),
        'No blocks in force.',
      ),
    );
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

/** Same service call (and `ip_unblocked` audit event) as `DELETE /audit/blocks/{id}`. */
@Command({
  name: 'blocks:lift',
  description: 'Lift one block (as DELETE /audit/blocks/{id})',
  arguments: '<id>',
})
export class BlocksLiftCommand extends CommandRunner {
  constructor(private readonly blocks: BlocksService) {
    super();
  }

  async run([id]: string[], options: JsonOption = {}): Promise<void> {
    const block = await this.blocks.lift(id);
    if (!block) throw new Error(`no block in force with id "${id}"`);
    if (options.json) printJson({ lifted: block });
    else printLines([`Lifted ${block.kind} block on ${block.subject} (${block.id})`]);
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

export const BLOCKS_COMMANDS = [BlocksListCommand, BlocksLiftCommand];
