// The flow panel's diagram as an image, exactly as it is on screen: the panel's own DOM (its styles
// and the theme's colours are inline in it) in an SVG `foreignObject`, over the panel's background,
// with a caption below in SVG text; and the same SVG drawn on a canvas at the panel's pixel size for
// a PNG. The browser serialises and draws; nothing of the diagram is drawn a second way, so the image
// cannot disagree with the panel. Buttons are left out (they do nothing in an image).
import { dateTimeFormat } from '@grafana/data';

/** Pixels of a caption line, and the band's padding. */
const LINE = 16;
const PAD = 8;

export interface Caption {
  /** The dashboard's and the panel's titles. */
  title: string;
  /** The instant shown (epoch ms): the one travelled to, else the window's end. */
  at: number;
  timeZone: string;
}

export interface DiagramImage {
  svg: string;
  /** The panel's size in CSS pixels; the image is this wide and this plus the caption band high. */
  width: number;
  height: number;
  captionHeight: number;
}

/** What XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF, a lone surrogate), which a stage's name or a title could hold. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const clean = (s: string) => s.replace(NOT_XML, '\uFFFD');
const escape = (s: string) => clean(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Cleans every text and attribute under `node` of what XML cannot carry, so the serialised SVG parses. */
function cleanTree(node: Element) {
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n: Node | null = node; n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) n.nodeValue = clean(n.nodeValue ?? '');
    else for (const a of Array.from((n as Element).attributes)) a.value = clean(a.value);
  }
}

/** Each stage's line, as its tile tells a screen reader (`data-line`): name, status, headline, reason, bottleneck. */
function stageLines(root: Element): string[] {
  return Array.from(root.querySelectorAll('[data-testid^="codex-flow-stage-"][data-line]'), (tile) => tile.getAttribute('data-line') ?? '');
}

/** The diagram of the panel whose root (`.cf-root`) is `root`, with `caption`. */
export function diagramSvg(root: HTMLElement, caption: Caption): DiagramImage {
  const width = Math.round(root.offsetWidth);
  const height = Math.round(root.offsetHeight);
  const style = getComputedStyle(root);
  const clone = root.cloneNode(true) as HTMLElement;
  clone.querySelectorAll('button, [data-export="omit"]').forEach((b) => b.remove());
  cleanTree(clone);
  // What the panel inherits from Grafana's page, which an image does not have.
  const wrapper = document.createElement('div');
  wrapper.setAttribute('style', `font-family:${style.fontFamily};font-size:${style.fontSize};line-height:${style.lineHeight};color:${style.color};width:${width}px;height:${height}px;overflow:hidden`);
  wrapper.appendChild(clone);
  const html = new XMLSerializer().serializeToString(wrapper);
  const when = dateTimeFormat(caption.at, { timeZone: caption.timeZone });
  const lines = [caption.title, when, ...stageLines(root)];
  const captionHeight = lines.length * LINE + 2 * PAD;
  const bg = style.getPropertyValue('--cf-bg').trim() || '#ffffff';
  const fg = style.getPropertyValue('--cf-text').trim() || style.color;
  const text = lines
    .map((l, i) => `<text x="${PAD}" y="${height + PAD + (i + 1) * LINE - 4}"${i < 2 ? ' font-weight="600"' : ''}>${escape(l)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + captionHeight}" viewBox="0 0 ${width} ${height + captionHeight}">`
    + `<title>${escape(`${caption.title} · ${when}`)}</title>`
    + `<rect width="100%" height="100%" fill="${escape(bg)}"/>`
    + `<foreignObject x="0" y="0" width="${width}" height="${height}">${html}</foreignObject>`
    + `<g id="caption" font-family="${escape(style.fontFamily)}" font-size="12" fill="${escape(fg)}">${text}</g></svg>`;
  return { svg, width, height, captionHeight };
}

/** The SVG drawn at its own pixel size (the panel's, 1:1) as a PNG. */
export function diagramPng(image: DiagramImage): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      try {
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height + image.captionHeight;
        const ctx = canvas.getContext('2d');
        if (!ctx) return reject(new Error('the browser gave no canvas'));
        ctx.drawImage(img, 0, 0);
        // A browser that taints a canvas drawn from a foreignObject (Safari) throws here.
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not make a PNG'))), 'image/png');
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    img.onerror = () => reject(new Error('the browser could not draw the diagram'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(image.svg)}`;
  });
}

/** Saves `blob` as `name`, as a download. */
export function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name for the image: the title and the instant, safe on every file system. */
export function fileName(caption: Caption, ext: string): string {
  const stamp = new Date(caption.at).toISOString().replace(/[:.]/g, '-');
  const title = caption.title.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'codex-flow';
  return `${title}-${stamp}.${ext}`;
}
