import { describe, expect, it } from 'vitest';

import { renderMarkdown } from '../markdown';

function render(source: string): HTMLElement {
  const element = document.createElement('div');
  element.innerHTML = renderMarkdown(source);
  return element;
}

describe('renderMarkdown', () => {
  it('renders Markdown structure: emphasis, lists, links and tables', () => {
    // when
    const html = render(
      '**bold** and *it*\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.com)',
    );

    // then
    expect(html.querySelector('strong')?.textContent).toBe('bold');
    expect(html.querySelectorAll('li')).toHaveLength(2);
    expect(html.querySelector('table td')?.textContent).toBe('1');
    const link = html.querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.com');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toContain('noopener');
  });

  it('strips scripts, event handlers and javascript: links a model may write', () => {
    // when
    const html = render(
      'Hi <script>alert(1)</script><img src="x" onerror="alert(2)"> <a href="javascript:alert(3)">click</a> <iframe src="https://evil.test"></iframe>',
    );

    // then
    expect(html.querySelector('script')).toBeNull();
    expect(html.querySelector('iframe')).toBeNull();
    expect(html.querySelector('img')?.hasAttribute('onerror')).toBe(false);
    expect(html.querySelector('a')?.getAttribute('href') ?? '').not.toContain('javascript');
    expect(html.innerHTML).not.toMatch(/onerror|<script/i);
  });

  it('highlights code in a known language and escapes code in an unknown one', () => {
    // when
    const python = render('```python\ndef f():\n    return 1\n```');
    const unknown = render('```brainfuck\n<b>not bold</b>\n```');

    // then
    expect(python.querySelector('code.language-python .hljs-keyword')?.textContent).toBe('def');
    expect(unknown.querySelector('b')).toBeNull();
    expect(unknown.querySelector('code')?.textContent).toContain('<b>not bold</b>');
  });
});
