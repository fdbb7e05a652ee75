/**
 * The page frame every view shares: document head, header with the operator's name,
 * language switch and (when signed in) the account and sign-out form, then the content.
 */
import { CSRF_FIELD } from '../csrf.js';
import { html, type SafeHtml } from '../html.js';
import { LANGUAGES, STRINGS, type Language, type Strings } from '../i18n.js';

export interface PageContext {
  t: Strings;
  language: Language;
  operatorName: string;
  /** Present on pages of a signed-in user. */
  user?: { displayName: string; login: string; csrfToken: string };
}

export function layout(page: PageContext, title: string, main: SafeHtml): SafeHtml {
  const { t } = page;
  return html`<!doctype html>
<html lang="${page.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title} · ${page.operatorName}</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip-link" href="#main">${t.skipToContent}</a>
<header class="site-header">
<div class="site-header-inner">
<p class="brand"><span class="brand-name">${page.operatorName}</span> <span class="brand-product">${t.product}</span></p>
<nav class="languages" aria-label="${t.languageNav}">
<ul>${LANGUAGES.map((language) => languageLink(language, page.language))}</ul>
</nav>
${page.user ? account(t, page.user) : null}
</div>
</header>
<main id="main" tabindex="-1">
${main}
</main>
</body>
</html>
`;
}

function languageLink(language: Language, current: Language): SafeHtml {
  const name = STRINGS[language].languageName;
  return language === current
    ? html`<li><a href="?lang=${language}" lang="${language}" hreflang="${language}" aria-current="true">${name}</a></li>`
    : html`<li><a href="?lang=${language}" lang="${language}" hreflang="${language}">${name}</a></li>`;
}

function account(t: Strings, user: NonNullable<PageContext['user']>): SafeHtml {
  return html`<div class="account">
<p class="account-name"><span class="visually-hidden">${t.signedInAs} </span>${user.displayName} <span class="account-login">${user.login}</span></p>
<form method="post" action="/logout" class="logout">
<input type="hidden" name="${CSRF_FIELD}" value="${user.csrfToken}">
<button type="submit" class="button button-secondary">${t.logout}</button>
</form>
</div>`;
}
