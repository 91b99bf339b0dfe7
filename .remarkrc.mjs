// `npm run docs:links`: every link of every *.md must point at a file or heading of this
// repository (remark-validate-links, offline; external URLs are not fetched), and no relative
// link may leave the repository (users never see what lies beside it, such as ../shared).
import { relative, resolve, dirname } from 'node:path';
import remarkValidateLinks from 'remark-validate-links';
import { visit } from 'unist-util-visit';

const root = import.meta.dirname;

function remarkNoLinksOutsideRepository() {
  return (tree, file) => {
    visit(tree, ['link', 'definition', 'image'], (node) => {
      const url = node.url ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('#') || url.startsWith('//')) return;
      const target = resolve(file.cwd, dirname(file.path), decodeURI(url.split('#')[0]));
      if (relative(root, target).startsWith('..')) {
        file.message(`Link to \`${url}\` leaves the repository`, node, 'no-outside-links').fatal =
          true;
      }
    });
  };
}

export default {
  plugins: [[remarkValidateLinks, { repository: false }], remarkNoLinksOutsideRepository],
};
