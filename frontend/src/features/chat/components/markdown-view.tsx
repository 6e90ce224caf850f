/** A reply's Markdown rendered as sanitized HTML, with highlighted code blocks. */
import 'highlight.js/styles/github.css';

import { useMemo } from 'react';

import { renderMarkdown } from '../utils/markdown';
import styles from './chat.module.css';

export function MarkdownView({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  // renderMarkdown sanitizes with DOMPurify; nothing unsanitized reaches the page.
  return <div className={styles.markdown} dangerouslySetInnerHTML={{ __html: html }} />;
}
