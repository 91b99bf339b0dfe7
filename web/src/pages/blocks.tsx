import { api, type Page } from '../api';
import { formatDate } from '../format';
import { Done, ErrorMessage, PageTitle, useAction, useLoad, View } from '../ui';

interface Block {
  id: string;
  kind: 'ip' | 'account';
  subject: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
}

export function BlocksPage() {
  const blocks = useLoad(() => api.get<Page<Block>>('/audit/blocks'), 'blocks');
  const action = useAction();
  return (
    <main id="main">
      <PageTitle>Blocks</PageTitle>
      <ErrorMessage error={action.error} />
      <Done message={action.done} />
      <View loaded={blocks} label="the blocks">
        {(page) =>
          page.items.length === 0 ? (
            <p class="hint">No block is in force.</p>
          ) : (
            <div class="table-wrap">
              <table class="stack" data-testid="blocks">
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Since</th>
                    <th scope="col">Until</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((block) => (
                    <tr key={block.id}>
                      <td>{block.kind}</td>
                      <td class="wrap">{block.subject}</td>
                      <td>{block.reason}</td>
                      <td>{formatDate(block.createdAt)}</td>
                      <td>{formatDate(block.expiresAt)}</td>
                      <td>
                        <button
                          type="button"
                          disabled={action.busy}
                          onClick={() =>
                            void action
                              .run(
                                () => api.del(`/audit/blocks/${encodeURIComponent(block.id)}`),
                                `Block on ${block.subject} lifted.`,
                              )
                              .then((ok) => ok && blocks.reload())
                          }
                        >
                          Lift <span class="sr-only">the block on {block.subject}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </View>
    </main>
  );
}
