import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noticeText } from './notice-text.js';
import type { LifecycleNotice } from './types.js';

const notice: LifecycleNotice = {
  id: 7, mailboxId: 3, mailboxType: 'PER', displayName: 'Hélène Durand', notificationAddress: 'helene@example.test',
  addresses: [
    { address: 'helene.durand@esante-demo.test', network: 'regional' },
    { address: 'helene.durand.demo@medical.apicrypt.test', network: 'apicrypt' },
    { address: 'helene.durand@demo.mssante.test', network: 'mssante' },
  ],
  step: 'unpublish', kind: 'notice', dueAt: '2027-01-11T23:30:00.000Z', silentSince: '2026-11-12T09:00:00.000Z',
};

test('a notice names the box, the step, the date (Paris time) and how to avoid it, in French by default', () => {
  const { subject, text } = noticeText(notice, { webmailUrl: 'https://webmail.esante-demo.test', operatorName: 'Plateforme e-santé de démonstration' });
  // 23:30 UTC on the 11th is already the 12th in Paris.
  assert.equal(subject, 'Votre messagerie sécurisée helene.durand@demo.mssante.test sera retirée de l\'annuaire le 12 janvier 2027');
  assert.match(text, /« Hélène Durand » \(helene\.durand@demo\.mssante\.test\) n'a fait l'objet d'aucune connexion depuis le 12 novembre 2026/);
  assert.match(text, /continuera de recevoir les messages/);
  assert.match(text, /vous connecter à votre messagerie .* avant le 12 janvier 2027 : https:\/\/webmail\.esante-demo\.test\./);
  assert.match(text, / {2}- helene\.durand\.demo@medical\.apicrypt\.test \(Apicrypt\)/);
  assert.match(text, /aucune donnée de santé/);
  assert.match(text, /Plateforme e-santé de démonstration\n$/);
});

test('reminders and deletion notices say so; English is available', () => {
  const reminder = noticeText({ ...notice, step: 'delete', kind: 'reminder' });
  assert.match(reminder.subject, /^Rappel : votre messagerie sécurisée .* sera supprimée le 12 janvier 2027$/);
  assert.match(reminder.text, /messages envoyés à ses adresses seront refusés/);
  assert.doesNotMatch(reminder.text, /remet aussi dans l'annuaire/);
  const english = noticeText({ ...notice, kind: 'reminder' }, { language: 'en' });
  assert.equal(english.subject, 'Reminder: your secure mailbox helene.durand@demo.mssante.test will be removed from the directory on 12 January 2027');
  assert.match(english.text, /log in to your mailbox .* before 12 January 2027\./);
});

test('an organisational box without an MSSanté address is named by its regional one', () => {
  const org = noticeText({ ...notice, mailboxType: 'ORG', displayName: 'Service de cardiologie', addresses: [{ address: 'cardio@esante-demo.test', network: 'regional' }] });
  assert.match(org.subject, /cardio@esante-demo\.test/);
  assert.match(org.text, /« Service de cardiologie »/);
});
