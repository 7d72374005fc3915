/**
 * venice-jupyter's front end for JupyterLab 4 and Notebook 7:
 *
 *   highlight.ts  `%%venice` cells are edited with Markdown highlighting
 *   reply.ts      the final answer's renderer: sanitized HTML plus Copy / Insert buttons
 *   here          two commands (palette and notebook toolbar) and the wiring
 *
 * Nothing here talks to the network: the kernel does all the work.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import { highlightVeniceCells, MAGIC } from './highlight';
import { replyRendererFactory } from './reply';

const COMMANDS = {
  insertPrompt: 'venice:insert-prompt-cell',
  openPanel: 'venice:open-panel'
};

const promptIcon = new LabIcon({
  name: 'venice-jupyter:prompt',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M4 4h16v11H8l-4 4zm3 3 3.5 6h1L15 7h-1.8L11 11.2 8.8 7z"/></svg>'
});

const panelIcon = new LabIcon({
  name: 'venice-jupyter:panel',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M3 4h18v16H3zm2 2v12h5V6zm7 0v3h7V6zm0 5v7h7v-7z"/></svg>'
});

/** Inserts a code cell holding `source` below cell `index` (the active cell by default). */
function insertCodeCell(panel: NotebookPanel, source: string, index?: number): Cell | null {
  const notebook = panel.content;
  if (!notebook.model) {
    return null;
  }
  const at = (index ?? notebook.activeCellIndex) + 1;
  notebook.model.sharedModel.insertCell(at, { cell_type: 'code', source });
  notebook.deselectAll();
  notebook.activeCellIndex = at;
  return notebook.widgets[at] ?? null;
}

function activate(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  rendermime: IRenderMimeRegistry,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  const hasNotebook = (): boolean => tracker.currentWidget !== null;

  tracker.widgetAdded.connect((_, panel) => highlightVeniceCells(panel));
  tracker.forEach(panel => highlightVeniceCells(panel));

  commands.addCommand(COMMANDS.insertPrompt, {
    label: 'Insert Venice prompt cell',
    caption: 'Insert a %%venice cell below the active cell',
    icon: promptIcon,
    isEnabled: hasNotebook,
    execute: async () => {
      const panel = tracker.currentWidget;
      const cell = panel && insertCodeCell(panel, `${MAGIC}\n`);
      if (!panel || !cell) {
        return;
      }
      await cell.ready;
      // After the palette (or a toolbar button) has taken focus back.
      requestAnimationFrame(() => {
        panel.content.mode = 'edit';
        cell.editor?.setCursorPosition({ line: 1, column: 0 });
        cell.editor?.focus();
      });
    }
  });

  commands.addCommand(COMMANDS.openPanel, {
    label: 'Open Venice panel',
    caption: 'Insert and run a cell showing the Venice chat panel',
    icon: panelIcon,
    isEnabled: hasNotebook,
    execute: async () => {
      const panel = tracker.currentWidget;
      if (panel && insertCodeCell(panel, '%venice panel')) {
        await NotebookActions.run(panel.content, panel.sessionContext);
      }
    }
  });

  for (const command of Object.values(COMMANDS)) {
    palette?.addItem({ command, category: 'Venice' });
  }

  rendermime.addFactory(
    replyRendererFactory((node, code) => {
      let done = false;
      tracker.forEach(panel => {
        const index = panel.content.widgets.findIndex(cell => cell.node.contains(node));
        if (!done && index >= 0) {
          done = insertCodeCell(panel, code, index) !== null;
        }
      });
      return done;
    })
  );
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'venice-jupyter:plugin',
  description: 'Venice prompt cells, commands and the reply renderer',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette],
  activate
};

export default plugin;
