/**
 * `%%venice` cells are edited as Markdown: while a code cell's source starts with the magic,
 * its model's mimeType is `text/x-ipythongfm` (IPython-flavoured Markdown). The notebook resets
 * code cells to the kernel's language (on kernel changes, new cells), so the rule is re-applied
 * on every content and mimetype change. The mimeType is editor state only: nothing is saved.
 */
import type { ICellModel } from '@jupyterlab/cells';
import type { Notebook, NotebookPanel } from '@jupyterlab/notebook';

export const MAGIC = '%%venice';
export const MARKDOWN_MIME = 'text/x-ipythongfm';

const watched = new WeakSet<ICellModel>();

function watchCell(cell: ICellModel, notebook: Notebook): void {
  if (cell.type !== 'code' || watched.has(cell)) {
    return;
  }
  watched.add(cell);
  let ours = false; // whether the current Markdown mimeType was set here
  const apply = (): void => {
    if (cell.isDisposed) {
      return;
    }
    if (cell.sharedModel.getSource().startsWith(MAGIC)) {
      if (cell.mimeType !== MARKDOWN_MIME) {
        ours = true;
        cell.mimeType = MARKDOWN_MIME;
      }
    } else if (ours) {
      ours = false;
      cell.mimeType = notebook.codeMimetype;
    }
  };
  cell.contentChanged.connect(apply);
  cell.mimeTypeChanged.connect(apply);
  apply();
}

/** Keeps every code cell of the panel's notebook highlighted by the rule above. */
export function highlightVeniceCells(panel: NotebookPanel): void {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    return;
  }
  for (let i = 0; i < model.cells.length; i++) {
    watchCell(model.cells.get(i), notebook);
  }
  model.cells.changed.connect((_, change) => {
    change.newValues.forEach(cell => watchCell(cell, notebook));
  });
}
