/** The sign-in page. */
import { CSRF_FIELD } from '../csrf.js';
import { html, type SafeHtml } from '../html.js';
import { layout, type PageContext } from './layout.js';

export interface LoginView {
  csrfToken: string;
  /** The login typed before a failed attempt, to type it only once. */
  login?: string;
  /** An error shown as an alert (wrong password, rate limit, expired form). */
  error?: string;
  /** A neutral notice (signed out, session expired). */
  notice?: string;
}

export function loginPage(page: PageContext, view: LoginView): SafeHtml {
  const { t } = page;
  const main = html`<section class="card login-card" aria-labelledby="login-heading">
<h1 id="login-heading">${t.login.heading}</h1>
<p>${t.login.intro}</p>
${view.error ? html`<p class="alert alert-error" role="alert">${view.error}</p>` : null}
${view.notice ? html`<p class="alert alert-info" role="status">${view.notice}</p>` : null}
<form method="post" action="/login" class="form">
<input type="hidden" name="${CSRF_FIELD}" value="${view.csrfToken}">
<div class="field">
<label for="login">${t.login.loginLabel}</label>
<input id="login" name="login" type="text" inputmode="email" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320" aria-describedby="login-hint" value="${view.login ?? ''}"${view.login ? null : html` autofocus`}>
<p class="hint" id="login-hint">${t.login.loginHint}</p>
</div>
<div class="field">
<label for="password">${t.login.passwordLabel}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${view.login ? html` autofocus` : null}>
</div>
<button type="submit" class="button">${t.login.submit}</button>
</form>
</section>`;
  return layout(page, t.login.title, main);
}
