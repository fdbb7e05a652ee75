/** One message: its header fields, its text, its attachments (listed, not yet downloadable). */
import type { MessageSummary } from '../../gateway/store/types.js';
import { html, type SafeHtml } from '../html.js';
import type { Formatter } from '../i18n.js';
import type { ReadableMessage } from '../message-reader.js';
import { layout, type PageContext } from './layout.js';

export function messagePage(page: PageContext, format: Formatter, summary: MessageSummary, message: ReadableMessage): SafeHtml {
  const { t } = page;
  const subject = message.subject.trim() || summary.subject.trim() || t.message.noSubject;
  const date = message.date ?? summary.sentAt ?? summary.internalDate;
  const body = message.text
    ? html`<div class="message-body">${message.text}</div>`
    : html`<p class="message-body message-body-empty">${message.htmlNotConverted ? t.message.htmlNotConverted : t.message.noBody}</p>`;
  const main = html`<p class="back"><a href="/inbox">← ${t.message.back}</a></p>
<article class="message" aria-labelledby="message-subject">
<h1 id="message-subject">${subject}</h1>
<dl class="message-headers">
${field(t.message.from, message.from || summary.from)}
${field(t.message.to, message.to)}
${field(t.message.cc, message.cc)}
<div><dt>${t.message.date}</dt><dd><time datetime="${date.toISOString()}">${format.longDate(date)}</time></dd></div>
${message.security ? html`<div class="security security-${message.security.result}"><dt>${t.message.security}</dt><dd>${t.message.verdict(message.security)}</dd></div>` : null}
</dl>
${body}
${message.attachments.length > 0 ? html`<section class="attachments" aria-labelledby="attachments-heading">
<h2 id="attachments-heading">${t.message.attachments(message.attachments.length)}</h2>
<ul>
${message.attachments.map((attachment) => html`<li><span class="attachment-name">${attachment.filename ?? t.message.unnamedAttachment}</span> <span class="attachment-meta">(${attachment.contentType}, ${format.size(attachment.size)})</span></li>
`)}
</ul>
</section>` : null}
</article>`;
  return layout(page, subject, main);
}

function field(label: string, value: string): SafeHtml | null {
  return value ? html`<div><dt>${label}</dt><dd>${value}</dd></div>` : null;
}
