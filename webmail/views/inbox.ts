/** The inbox: one row per message, newest first, unread ones in bold. */
import type { MessageSummary } from '../../gateway/store/types.js';
import { html, type SafeHtml } from '../html.js';
import type { Formatter } from '../i18n.js';
import { layout, type PageContext } from './layout.js';

export function inboxPage(page: PageContext, format: Formatter, messages: readonly MessageSummary[]): SafeHtml {
  const { t } = page;
  const unread = messages.filter((message) => !message.flags.includes('\\Seen')).length;
  const list = messages.length === 0
    ? html`<p class="empty">${t.inbox.empty}</p>`
    : html`<table class="messages">
<caption class="visually-hidden">${t.inbox.caption}</caption>
<thead><tr><th scope="col" class="col-from">${t.inbox.from}</th><th scope="col" class="col-subject">${t.inbox.subject}</th><th scope="col" class="col-date">${t.inbox.received}</th><th scope="col" class="col-size">${t.inbox.size}</th></tr></thead>
<tbody>
${messages.map((message) => row(page, format, message))}
</tbody>
</table>`;
  const main = html`<div class="page-heading">
<h1>${t.inbox.title}</h1>
<p class="counts">${t.inbox.messageCount(messages.length)} · ${t.inbox.unreadCount(unread)}</p>
</div>
${list}`;
  return layout(page, t.inbox.title, main);
}

function row(page: PageContext, format: Formatter, message: MessageSummary): SafeHtml {
  const { t } = page;
  const isUnread = !message.flags.includes('\\Seen');
  // The date the operator received it: the order of the list, and not set by the sender's clock.
  const date = message.internalDate;
  const sender = senderName(message.from);
  return html`<tr class="${isUnread ? 'unread' : 'read'}">
<td class="col-from" title="${message.from}">${sender}</td>
<td class="col-subject"><a href="/message/${message.uid}">${isUnread ? html`<span class="visually-hidden">${t.inbox.unread} </span>` : null}${message.subject.trim() || t.message.noSubject}</a></td>
<td class="col-date"><time datetime="${date.toISOString()}">${format.shortDate(date)}</time></td>
<td class="col-size">${format.size(message.size)}</td>
</tr>
`;
}

/** The display name of a From field (`"Dr Léa Dupont" <lea@…>` gives `Dr Léa Dupont`), else the address. */
export function senderName(from: string): string {
  const match = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(from);
  if (!match) return from.trim();
  const name = match[1]!.replace(/^"(.*)"$/, '$1').trim();
  return name || match[2]!.trim();
}
