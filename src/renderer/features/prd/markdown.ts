import DOMPurify from 'dompurify';
import { Marked } from 'marked';

// PRDs are text from outside: rendered with marked, then sanitised. No scripts, no
// styles, no forms or frames, no remote content (images keep only data: URLs), and
// links open nothing inside the app (their target is shown, not followed).
const marked = new Marked({ gfm: true, breaks: false, async: false });

let purifier: ReturnType<typeof DOMPurify> | null = null;
function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (el.tagName === 'IMG') {
      const src = el.getAttribute('src') ?? '';
      if (!/^data:image\/(png|gif|jpe?g|webp);base64,/i.test(src)) {
        el.removeAttribute('src');
        el.removeAttribute('srcset');
        el.setAttribute(
          'alt',
          `[image not loaded: ${el.getAttribute('alt') || 'remote content is blocked'}${src ? ` — ${src}` : ''}]`,
        );
        el.setAttribute('data-blocked', 'remote');
      }
    }
    if (el.tagName === 'A') {
      const href = el.getAttribute('href');
      el.removeAttribute('href');
      el.removeAttribute('target');
      if (href) el.setAttribute('title', `Link not followed inside WAVE: ${href}`);
      el.setAttribute('data-href', href ?? '');
      el.setAttribute('class', 'md-link');
    }
  });
  purifier = p;
  return p;
}

/** Markdown → sanitised HTML, safe to insert into the page. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  const fragment = getPurifier().sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    USE_PROFILES: { html: true },
    FORBID_TAGS: [
      'style',
      'script',
      'iframe',
      'object',
      'embed',
      'form',
      'input',
      'button',
      'textarea',
      'select',
      'link',
      'meta',
      'base',
      'video',
      'audio',
      'source',
      'picture',
      'svg',
      'math',
    ],
    FORBID_ATTR: ['style', 'srcset', 'formaction', 'action', 'background', 'poster', 'ping'],
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: ['data-blocked', 'data-href'],
  });
  // A blocked image becomes a visible note (an <img> without a source would show a broken icon).
  for (const img of [...fragment.querySelectorAll('img[data-blocked]')]) {
    const note = document.createElement('span');
    note.className = 'blocked-img';
    note.textContent = img.getAttribute('alt') ?? '[image not loaded]';
    img.replaceWith(note);
  }
  const holder = document.createElement('div');
  holder.append(fragment);
  return holder.innerHTML;
}

/** The PRD's body without its YAML front matter (shown separately as facts). */
export function stripFrontMatter(markdown: string): string {
  const m = /^\uFEFF?---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(markdown);
  return m ? markdown.slice(m[0].length) : markdown;
}
