import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SafeHtml, escapeHtml, html } from './html.js';

test('interpolated text is escaped, markup of nested templates is kept', () => {
  const name = `<script>alert("x")</script> & 'co'`;
  const page = html`<p title="${name}">${name} ${html`<b>${'<i>'}</b>`}</p>`;
  assert.ok(page instanceof SafeHtml);
  assert.equal(page.value,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">'
    + '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39; <b>&lt;i&gt;</b></p>');
});

test('arrays are joined, null, undefined and false render nothing, numbers as text', () => {
  assert.equal(html`${['a<', html`<br>`, 3]}|${null}|${undefined}|${false}|${0}`.value, 'a&lt;<br>3||||0');
});

test('escapeHtml leaves plain text unchanged', () => {
  assert.equal(escapeHtml('Compte rendu d’échographie'), 'Compte rendu d’échographie');
});
