import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { escapeHtml } from './html.js';
import { MAX_FORM_BYTES } from './server.js';
import { TestClient, csrfTokenOf, rawMessage, startWebmail, type WebmailFixture } from './testing.js';

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const ECHO_SUBJECT = "Compte rendu d'échographie";

function assertSecurityHeaders(response: Response): void {
  assert.equal(response.headers.get('content-security-policy'), CSP);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
}

function cookieLine(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  assert.ok(line, `no Set-Cookie for ${name} in ${JSON.stringify(response.headers.getSetCookie())}`);
  return line;
}

describe('webmail over HTTP', () => {
  let fx: WebmailFixture;
  before(async () => { fx = await startWebmail({ logLevel: 'debug' }); });
  after(async () => { await fx.close(); });

  async function signedIn(): Promise<TestClient> {
    const client = new TestClient(fx.baseUrl);
    const response = await client.signIn(fx.user.login, fx.user.password);
    assert.equal(response.status, 303);
    return client;
  }

  test('the start page sends to the sign-in page, which is French by default, with a CSRF token and strict headers', async () => {
    const client = new TestClient(fx.baseUrl);
    const home = await client.get('/');
    assert.equal(home.status, 303);
    assert.equal(home.headers.get('location'), '/login');
    assertSecurityHeaders(home);

    const response = await client.get('/login');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assertSecurityHeaders(response);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const page = await response.text();
    assert.match(page, /<html lang="fr">/);
    assert.match(page, /Connexion à votre messagerie sécurisée/);
    assert.match(page, /<label for="password">Mot de passe<\/label>/);
    assert.doesNotMatch(page, /<script/i);
    const token = csrfTokenOf(page);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const line = cookieLine(response, 'hygie_login');
    assert.match(line, /; HttpOnly/);
    assert.match(line, /; SameSite=Strict/);
    assert.doesNotMatch(line, /; Secure/);
    assert.equal(client.cookies.get('hygie_login'), token);
  });

  test('a wrong password gives the sign-in page again with 401 and a clear French message', async () => {
    const client = new TestClient(fx.baseUrl);
    const response = await client.signIn(fx.user.login, 'pas le bon mot de passe');
    assert.equal(response.status, 401);
    const page = await response.text();
    assert.match(page, /role="alert">Identifiant ou mot de passe incorrect\.</);
    assert.match(page, new RegExp(`value="${fx.user.login}"`), 'the login typed is kept');
    assert.equal(client.cookies.has('hygie_session'), false);
    const audit = await fx.audit.list({ action: 'auth.login' });
    assert.ok(audit.some((event) => event.outcome === 'failure' && event.channel === 'webmail'));
  });

  test('empty fields give 400 and ask for both', async () => {
    const client = new TestClient(fx.baseUrl);
    const token = csrfTokenOf(await (await client.get('/login')).text());
    const response = await client.post('/login', { _csrf: token, login: fx.user.login, password: '' });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /Veuillez saisir votre identifiant et votre mot de passe/);
  });

  test('a correct password opens a session: new cookie with strict flags, sign-in token cleared', async () => {
    const client = new TestClient(fx.baseUrl);
    const response = await client.signIn(fx.user.login, fx.user.password);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/inbox');
    const line = cookieLine(response, 'hygie_session');
    assert.match(line, /^hygie_session=[A-Za-z0-9_-]{43}; Path=\/; SameSite=Strict; HttpOnly$/);
    assert.match(cookieLine(response, 'hygie_login'), /Max-Age=0/);
    assert.equal(client.cookies.has('hygie_login'), false);

    const home = await client.get('/');
    assert.equal(home.headers.get('location'), '/inbox');
    const login = await client.get('/login');
    assert.equal(login.headers.get('location'), '/inbox', 'a signed-in user is not shown the sign-in form');
  });

  test('a session id planted before sign-in is replaced, and the planted session ended', async () => {
    const attacker = await signedIn();
    const planted = attacker.cookies.get('hygie_session')!;
    const victim = new TestClient(fx.baseUrl);
    const form = await (await victim.get('/login')).text();
    victim.cookies.set('hygie_session', planted);
    const response = await victim.post('/login', { _csrf: csrfTokenOf(form), login: fx.user.login, password: fx.user.password });
    assert.equal(response.status, 303);
    assert.notEqual(victim.cookies.get('hygie_session'), planted);
    assert.equal((await victim.get('/inbox')).status, 200);
    assert.equal((await attacker.get('/inbox')).status, 303);
  });

  test('the inbox lists messages newest first with sender, subject, date and size; unread in bold', async () => {
    const owner = await fx.createUser('Inès', 'Lefèvre');
    await fx.deliver(rawMessage({ subject: 'Ancien message', to: owner.login, body: 'Texte ancien' }), owner.mailboxId, new Date('2026-11-20T08:00:00Z'));
    await fx.deliver(rawMessage({ subject: ECHO_SUBJECT, to: owner.login, body: 'Bonjour,\nCompte rendu joint.' }), owner.mailboxId, new Date('2026-11-24T09:15:00Z'));

    const client = new TestClient(fx.baseUrl);
    assert.equal((await client.signIn(owner.login, owner.password)).status, 303);
    const response = await client.get('/inbox');
    assert.equal(response.status, 200);
    assertSecurityHeaders(response);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const page = await response.text();
    assert.match(page, /<h1>Boîte de réception<\/h1>/);
    assert.match(page, /2 messages · 2 non lus/);
    assert.match(page, new RegExp(`Inès Lefèvre`));
    const newest = page.indexOf(escapeHtml(ECHO_SUBJECT));
    const oldest = page.indexOf('Ancien message');
    assert.ok(newest > 0 && oldest > newest, 'newest first');
    assert.match(page, /<tr class="unread">\n<td class="col-from" title="&quot;Dr Paul Martin&quot; &lt;paul.martin@demo.mssante.test&gt;">Dr Paul Martin<\/td>/);
    assert.match(page, /<time datetime="2026-11-24T09:15:00.000Z">24\/11\/2026 10:15<\/time>/);
    assert.match(page, /<span class="visually-hidden">Non lu\u00a0: <\/span>/);
    assert.match(page, /\d+\u00a0o<\/td>/);
  });

  test('reading a message shows its headers and body, marks it seen and audits the access', async () => {
    const uid = await fx.deliver(rawMessage({
      subject: ECHO_SUBJECT, cc: 'Secrétariat <secretariat@esante-demo.test>',
      body: 'Chère consœur,\n\nÉchographie abdominale : foie de taille normale.\n\nBien confraternellement,\nDr Martin',
    }));
    const client = await signedIn();
    const response = await client.get(`/message/${uid}`);
    assert.equal(response.status, 200);
    assertSecurityHeaders(response);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const page = await response.text();
    assert.match(page, new RegExp(`<h1 id="message-subject">${escapeHtml(ECHO_SUBJECT)}</h1>`));
    assert.match(page, /<dt>De<\/dt><dd>Dr Paul Martin &lt;paul.martin@demo.mssante.test&gt;<\/dd>/);
    assert.match(page, /<dt>À<\/dt><dd>lea.dupont@esante-demo.test<\/dd>/);
    assert.match(page, /<dt>Cc<\/dt><dd>Secrétariat &lt;secretariat@esante-demo.test&gt;<\/dd>/);
    assert.match(page, /mardi 24 novembre 2026/);
    assert.match(page, /Échographie abdominale : foie de taille normale\./);

    const inbox = await fx.store.getFolder(fx.user.mailboxId, 'INBOX');
    const summary = (await fx.store.listMessages(inbox!.id)).find((message) => message.uid === uid);
    assert.ok(summary?.flags.includes('\\Seen'));
    const list = await (await client.get('/inbox')).text();
    assert.match(list, new RegExp(`<tr class="read">[^]*?href="/message/${uid}"`));
    const audit = await fx.audit.list({ action: 'message.read' });
    assert.ok(audit.some((event) => event.actor === fx.user.login && event.channel === 'webmail' && event.details.uid === uid));
  });

  test('HTML mail is shown as text: a script in it never reaches the page as markup', async () => {
    const uid = await fx.deliver(rawMessage({
      subject: '<script>alert("sujet")</script>', contentType: 'text/html; charset=utf-8',
      from: '"<img src=x onerror=alert(1)>" <evil@demo.mssante.test>',
      body: '<html><head><script>alert("corps")</script></head><body><p>Bonjour docteur</p><iframe src="https://evil.example/"></iframe><a href="javascript:alert(2)">clic</a></body></html>',
    }));
    const client = await signedIn();
    const page = await (await client.get(`/message/${uid}`)).text();
    assert.match(page, /Bonjour docteur/);
    assert.doesNotMatch(page, /<script|<iframe|<img|<a href="javascript|alert\("corps"\)/i);
    assert.match(page, /<dd>&lt;img src=x onerror=alert\(1\)&gt; &lt;evil@demo.mssante.test&gt;<\/dd>/);
    assert.match(page, /&lt;script&gt;alert\(&quot;sujet&quot;\)&lt;\/script&gt;/);
    const list = await (await client.get('/inbox')).text();
    assert.doesNotMatch(list, /<script|<img/i);

    const textUid = await fx.deliver(rawMessage({ subject: 'Texte', body: 'Voici du code : <script>alert(3)</script>' }));
    const textPage = await (await client.get(`/message/${textUid}`)).text();
    assert.match(textPage, /Voici du code : &lt;script&gt;alert\(3\)&lt;\/script&gt;/);
    assert.doesNotMatch(textPage, /<script/i);
  });

  test('the gateway\'s S/MIME verdict is shown; a verdict written by anyone else is not', async () => {
    const ours = await fx.deliver(rawMessage({
      subject: 'Signé', body: 'Résultats normaux.',
      extraHeaders: 'Authentication-Results: mail.esante-demo.test;\n\tsmime=pass header.from=labo@demo.mssante.test body.smime-identifier=labo@demo.mssante.test\nX-Hygie-Decrypted: for lea.dupont@esante-demo.test by mail.esante-demo.test',
    }));
    const forged = await fx.deliver(rawMessage({
      subject: 'Prétendu signé', body: 'x', extraHeaders: 'Authentication-Results: mx.attaquant.example; smime=pass body.smime-identifier=banque@example.org',
    }));
    const altered = await fx.deliver(rawMessage({
      subject: 'Modifié', body: 'x', extraHeaders: 'Authentication-Results: mail.esante-demo.test; smime=fail reason="content-altered: the digest does not match"',
    }));
    const client = await signedIn();
    const page = await (await client.get(`/message/${ours}`)).text();
    assert.match(page, /<dt>Sécurité<\/dt><dd>Chiffré, déchiffré pour vous\. Signature valide de labo@demo\.mssante\.test\.<\/dd>/);
    assert.doesNotMatch(await (await client.get(`/message/${forged}`)).text(), /Signature valide/);
    assert.match(await (await client.get(`/message/${altered}`)).text(), /Signature invalide : le message a été modifié après sa signature/);
  });

  test('attachments are listed by name and size', async () => {
    const pdf = Buffer.alloc(48_000, 7).toString('base64').replace(/.{76}/g, '$&\n');
    const uid = await fx.deliver(rawMessage({
      subject: 'Résultats', contentType: 'multipart/mixed; boundary="sep"',
      body: `--sep\nContent-Type: text/plain; charset=utf-8\n\nCi-joint les résultats.\n--sep\nContent-Type: application/pdf; name="resultats.pdf"\nContent-Disposition: attachment; filename="resultats.pdf"\nContent-Transfer-Encoding: base64\n\n${pdf}\n--sep--`,
    }));
    const client = await signedIn();
    const page = await (await client.get(`/message/${uid}`)).text();
    assert.match(page, /<h2 id="attachments-heading">Pièce jointe<\/h2>/);
    assert.match(page, /<span class="attachment-name">resultats.pdf<\/span> <span class="attachment-meta">\(application\/pdf, 47\u00a0Ko\)<\/span>/);
    assert.match(page, /Ci-joint les résultats\./);
  });

  test('a message of another box, an unknown UID or a malformed one is not found', async () => {
    const other = await fx.createUser('Marc', 'Bernard');
    const foreign = await fx.deliver(rawMessage({ subject: 'Confidentiel', to: other.login, body: 'Secret' }), other.mailboxId);
    const client = await signedIn();
    for (const path of [`/message/${foreign + 1000}`, '/message/0', '/message/abc', '/message/99999999999', '/message/1%2F2']) {
      const response = await client.get(path);
      assert.equal(response.status, 404, path);
      assert.match(await response.text(), /Page introuvable/);
    }
    // UIDs are per folder: the same number in the user's own INBOX names the user's own message, never the other box's.
    assert.doesNotMatch(await (await client.get(`/message/${foreign}`)).text(), /Confidentiel|Secret/);
    assert.doesNotMatch(await (await client.get('/inbox')).text(), /Confidentiel/);
  });

  test('pages need a session: the inbox and messages redirect to the sign-in page', async () => {
    const client = new TestClient(fx.baseUrl);
    for (const path of ['/inbox', '/message/1']) {
      const response = await client.get(path);
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), '/login');
    }
    client.cookies.set('hygie_session', 'A'.repeat(43));
    const stale = await client.get('/inbox');
    assert.equal(stale.headers.get('location'), '/login?expired=1');
    assert.equal(client.cookies.has('hygie_session'), false);
    assert.match(await (await client.get('/login?expired=1')).text(), /Votre session a expiré/);
  });

  test('POST forms without the right CSRF token are refused with 403', async () => {
    const anonymous = new TestClient(fx.baseUrl);
    await anonymous.get('/login');
    const noToken = await anonymous.post('/login', { login: fx.user.login, password: fx.user.password });
    assert.equal(noToken.status, 403);
    assert.match(await noToken.text(), /Le formulaire a expiré/);
    const wrongToken = await anonymous.post('/login', { _csrf: 'x'.repeat(43), login: fx.user.login, password: fx.user.password });
    assert.equal(wrongToken.status, 403);
    const noCookie = new TestClient(fx.baseUrl);
    const form = await (await new TestClient(fx.baseUrl).get('/login')).text();
    assert.equal((await noCookie.post('/login', { _csrf: csrfTokenOf(form), login: fx.user.login, password: fx.user.password })).status, 403);

    const client = await signedIn();
    const logout = await client.post('/logout', {});
    assert.equal(logout.status, 403);
    assertSecurityHeaders(logout);
    const forged = await client.post('/logout', { _csrf: 'x'.repeat(43) });
    assert.equal(forged.status, 403);
    assert.equal((await client.get('/inbox')).status, 200, 'still signed in');
  });

  test('a POST from another site is refused even with a valid token', async () => {
    const client = new TestClient(fx.baseUrl);
    const token = csrfTokenOf(await (await client.get('/login')).text());
    const fields = { _csrf: token, login: fx.user.login, password: fx.user.password };
    const response = await client.post('/login', fields, { Origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.equal((await client.post('/login', fields, { 'Sec-Fetch-Site': 'cross-site', Origin: 'null' })).status, 403);
    assert.ok(fx.logs.some((line) => line.includes('cross-site POST refused')));
    assert.equal((await client.post('/login', fields, { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' })).status, 303);
  });

  test('a client gone before its form was sent is refused as such, not logged as a server failure', async () => {
    const url = new URL(fx.baseUrl);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=abc');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.resetAndDestroy();
    for (let waited = 0; !fx.logs.some((line) => line.includes('request body cut short')) && waited < 3000; waited += 25) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(fx.logs.some((line) => /request refused path=\/login status=400 reason="request body cut short/.test(line)), fx.logs.slice(-3).join('\n'));
    assert.ok(!fx.logs.some((line) => line.includes('webmail request failed')));
    assert.equal((await new TestClient(fx.baseUrl).get('/login')).status, 200);
  });

  test('signing out ends the session', async () => {
    const client = await signedIn();
    const page = await (await client.get('/inbox')).text();
    const response = await client.post('/logout', { _csrf: csrfTokenOf(page) });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/login?signedout=1');
    assert.match(cookieLine(response, 'hygie_session'), /Max-Age=0/);
    assert.match(await (await client.get('/login?signedout=1')).text(), /Vous êtes déconnecté/);
    assert.equal((await client.get('/inbox')).status, 303);
    const audit = await fx.audit.list({ action: 'auth.logout' });
    assert.equal(audit[0]?.actor, fx.user.login);
  });

  test('?lang=en switches to English and is remembered; Accept-Language is honoured', async () => {
    const client = await signedIn();
    const response = await client.get('/inbox?lang=en');
    const page = await response.text();
    assert.match(page, /<html lang="en">/);
    assert.match(page, /<h1>Inbox<\/h1>/);
    assert.match(page, />Sign out</);
    assert.equal(response.headers.get('content-language'), 'en');
    assert.match(cookieLine(response, 'hygie_lang'), /^hygie_lang=en; Path=\/; SameSite=Lax; Max-Age=31536000; HttpOnly$/);
    assert.match(await (await client.get('/inbox')).text(), /<h1>Inbox<\/h1>/, 'remembered by the cookie');
    assert.match(await (await client.get('/inbox?lang=fr')).text(), /<h1>Boîte de réception<\/h1>/);

    const browser = new TestClient(fx.baseUrl);
    assert.match(await (await browser.get('/login', { 'Accept-Language': 'en-US,en;q=0.9' })).text(), /Sign in to your secure mailbox/);
    assert.match(await (await browser.get('/login', { 'Accept-Language': 'de-DE,fr;q=0.5' })).text(), /Connexion à votre messagerie sécurisée/);
    const wrong = await browser.signIn(fx.user.login, 'wrong password!');
    assert.equal(wrong.status, 401);
    assert.match(await (await browser.post('/login?lang=en', { _csrf: browser.cookies.get('hygie_login')!, login: 'x@y.z', password: 'wrong password' })).text(), /Wrong login or password\./);
  });

  test('404, 405 and HEAD', async () => {
    const client = new TestClient(fx.baseUrl);
    const missing = await client.get('/nowhere');
    assert.equal(missing.status, 404);
    assertSecurityHeaders(missing);
    assert.match(await missing.text(), /<h1 id="error-heading">Page introuvable<\/h1>/);
    const wrongMethod = await client.request('/inbox', { method: 'DELETE' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');
    assert.match(await wrongMethod.text(), /Action non permise/);
    const loginGet = await client.request('/logout', { method: 'GET' });
    assert.equal(loginGet.status, 405);
    assert.equal(loginGet.headers.get('allow'), 'POST');
    const head = await client.request('/login', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get('content-length')) > 500);
    assert.equal(await head.text(), '');
  });

  test('oversized or non-form POST bodies are refused', async () => {
    const client = new TestClient(fx.baseUrl);
    const token = csrfTokenOf(await (await client.get('/login')).text());
    const big = await client.post('/login', { _csrf: token, login: 'a', password: 'x'.repeat(MAX_FORM_BYTES) });
    assert.equal(big.status, 413);
    assert.match(await big.text(), /Envoi trop volumineux/);
    const json = await client.request('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
  });

  test('the stylesheet is served with an ETag and revalidated', async () => {
    const client = new TestClient(fx.baseUrl);
    const response = await client.get('/static/style.css');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await response.text(), /\.messages/);
    const etag = response.headers.get('etag')!;
    const again = await client.get('/static/style.css', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
  });
});

describe('webmail sign-in limits and expiry', () => {
  test('after too many failures the sign-in is refused with 429 and a message', async () => {
    const fx = await startWebmail({ maxAuthFailures: 2 });
    try {
      const client = new TestClient(fx.baseUrl);
      assert.equal((await client.signIn(fx.user.login, 'wrong password 1')).status, 401);
      assert.equal((await client.signIn(fx.user.login, 'wrong password 2')).status, 401);
      const limited = await client.signIn(fx.user.login, fx.user.password);
      assert.equal(limited.status, 429);
      assert.match(await limited.text(), /Trop de tentatives de connexion échouées/);
      assert.equal(client.cookies.has('hygie_session'), false);
    } finally {
      await fx.close();
    }
  });

  test('sessions expire after 30 minutes without activity', async () => {
    const clock = new ManualClock(new Date());
    const fx = await startWebmail({ clock });
    try {
      const client = new TestClient(fx.baseUrl);
      assert.equal((await client.signIn(fx.user.login, fx.user.password)).status, 303);
      clock.advance(29 * 60_000);
      assert.equal((await client.get('/inbox')).status, 200);
      clock.advance(30 * 60_000);
      const expired = await client.get('/inbox');
      assert.equal(expired.status, 303);
      assert.equal(expired.headers.get('location'), '/login?expired=1');
    } finally {
      await fx.close();
    }
  });

  test('over https: Secure, __Host- prefixed cookies and HSTS', async () => {
    const fx = await startWebmail({ publicUrl: 'https://webmail.esante-demo.test', language: 'en' });
    try {
      const client = new TestClient(fx.baseUrl);
      const login = await client.get('/login');
      assert.match(await login.text(), /<html lang="en">/, 'configured default language');
      assert.match(cookieLine(login, '__Host-hygie_login'), /; HttpOnly; Secure$/);
      assert.equal(login.headers.get('strict-transport-security'), 'max-age=31536000');
      const response = await client.signIn(fx.user.login, fx.user.password);
      assert.equal(response.status, 303);
      assert.match(cookieLine(response, '__Host-hygie_session'), /^__Host-hygie_session=[A-Za-z0-9_-]{43}; Path=\/; SameSite=Strict; HttpOnly; Secure$/);
    } finally {
      await fx.close();
    }
  });
});
