/** Error pages: not found, method not allowed, refused, too large, server error. */
import { html, type SafeHtml } from '../html.js';
import { layout, type PageContext } from './layout.js';

export function errorPage(page: PageContext, title: string, text: string): SafeHtml {
  const main = html`<section class="card" aria-labelledby="error-heading">
<h1 id="error-heading">${title}</h1>
<p>${text}</p>
<p><a href="/">${page.t.errors.home}</a></p>
</section>`;
  return layout(page, title, main);
}
