/**
 * The renderer of `application/vnd.venice.reply+json`, the final output of a `%%venice` cell.
 *
 * It shows the bundle's own `text/html` (made and escaped by the kernel; passed through
 * JupyterLab's sanitizer unless the output is trusted) and gives every code block two buttons:
 * Copy, and Insert as cell below. Front ends without this extension show the same `text/html`.
 */
import { renderHTML, RenderedHTMLCommon } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

export const MIME_REPLY = 'application/vnd.venice.reply+json';

/** Inserts `code` as a code cell below the cell that owns `node`; false if none does. */
export type InsertBelow = (node: HTMLElement, code: string) => boolean;

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.className = 'venice-code-button jp-Button';
  el.textContent = label;
  el.title = title;
  el.addEventListener('click', event => {
    event.preventDefault();
    event.stopPropagation();
    onClick();
  });
  return el;
}

/** The code of a rendered block, as written by the model (the kernel keeps it as text). */
export function codeOf(pre: HTMLElement): string {
  const code = pre.querySelector('code') ?? pre;
  return (code.textContent ?? '').replace(/\n$/, '');
}

export class RenderedVeniceReply extends RenderedHTMLCommon {
  constructor(
    options: IRenderMime.IRendererOptions,
    private readonly insertBelow: InsertBelow
  ) {
    super(options);
    this.addClass('jp-RenderedHTML');
    this.addClass('venice-reply');
  }

  async render(model: IRenderMime.IMimeModel): Promise<void> {
    await renderHTML({
      host: this.node,
      source: String(model.data['text/html'] ?? ''),
      trusted: model.trusted,
      resolver: this.resolver,
      sanitizer: this.sanitizer,
      linkHandler: this.linkHandler,
      shouldTypeset: this.isAttached,
      latexTypesetter: this.latexTypesetter,
      translator: this.translator
    });
    this.node.querySelectorAll('pre').forEach(pre => this.addTools(pre));
  }

  protected onAfterAttach(): void {
    void this.latexTypesetter?.typeset(this.node);
  }

  private addTools(pre: HTMLElement): void {
    const tools = document.createElement('div');
    tools.className = 'venice-code-tools';
    const copy = button('Copy', 'Copy the code to the clipboard', () => {
      copyText(codeOf(pre)).then(
        () => flash(copy, 'Copied'),
        () => flash(copy, 'Copy failed')
      );
    });
    const insert = button('Insert as cell below', 'Insert the code as a new code cell', () => {
      if (!this.insertBelow(this.node, codeOf(pre))) {
        flash(insert, 'No notebook cell here');
      }
    });
    tools.append(copy, insert);
    pre.before(tools);
  }
}

/** The clipboard API exists only in secure contexts (not on a plain-http remote server). */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) {
    throw new Error('copy refused');
  }
}

function flash(el: HTMLElement, text: string): void {
  const before = el.textContent;
  el.textContent = text;
  setTimeout(() => (el.textContent = before), 1200);
}

/** The factory; ranked before text/html (50) so JupyterLab prefers it when it is installed. */
export function replyRendererFactory(insertBelow: InsertBelow): IRenderMime.IRendererFactory {
  return {
    safe: true, // the HTML goes through the sanitizer unless the output is trusted
    mimeTypes: [MIME_REPLY],
    defaultRank: 40,
    createRenderer: options => new RenderedVeniceReply(options, insertBelow)
  };
}
