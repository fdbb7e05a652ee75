import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readableMessage } from './message-reader.js';
import { rawMessage } from './testing.js';

test('a plain-text message: decoded headers, text, no attachments', async () => {
  const message = await readableMessage(Buffer.from(rawMessage({
    subject: 'Compte rendu d’échographie', cc: 'Secrétariat <secretariat@esante-demo.test>',
    body: 'Bonjour,\n\nVeuillez trouver le compte rendu.\n\n',
  })));
  assert.equal(message.subject, 'Compte rendu d’échographie');
  assert.equal(message.from, 'Dr Paul Martin <paul.martin@demo.mssante.test>');
  assert.equal(message.to, 'lea.dupont@esante-demo.test');
  assert.equal(message.cc, 'Secrétariat <secretariat@esante-demo.test>');
  assert.equal(message.date?.toISOString(), '2026-11-24T09:15:00.000Z');
  assert.equal(message.text, 'Bonjour,\n\nVeuillez trouver le compte rendu.');
  assert.equal(message.htmlNotConverted, false);
  assert.deepEqual(message.attachments, []);
});

test('an HTML-only message becomes text: no tags, no script', async () => {
  const message = await readableMessage(Buffer.from(rawMessage({
    subject: 'HTML', contentType: 'text/html; charset=utf-8',
    body: '<html><head><script>alert("pwned")</script><style>p{color:red}</style></head><body><p>Résultats <b>normaux</b></p><img src="https://tracker.example/p.gif" onerror="alert(1)"></body></html>',
  })));
  assert.match(message.text, /Résultats normaux/);
  assert.doesNotMatch(message.text, /<|alert|color:red/);
});

test('attachments are listed with name, type and size', async () => {
  const pdf = Buffer.alloc(3000, 1).toString('base64').replace(/.{76}/g, '$&\n');
  const message = await readableMessage(Buffer.from(rawMessage({
    subject: 'Pièces', contentType: 'multipart/mixed; boundary="b1"',
    body: `--b1\nContent-Type: text/plain; charset=utf-8\n\nVoir les pièces jointes.\n--b1\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''compte-rendu%20%C3%A9cho.pdf\nContent-Transfer-Encoding: base64\n\n${pdf}\n--b1--`,
  })));
  assert.equal(message.text, 'Voir les pièces jointes.');
  assert.deepEqual(message.attachments, [{ filename: 'compte-rendu écho.pdf', contentType: 'application/pdf', size: 3000 }]);
});
