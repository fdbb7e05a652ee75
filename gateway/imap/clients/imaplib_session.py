"""Python's imaplib against the Hygie IMAP server: a scripted session whose replies are
printed as JSON for imaplib.test.ts to check. Usage:
    imaplib_session.py HOST PORT CAFILE LOGIN PASSWORD
"""
import imaplib
import json
import ssl
import sys


def text(data):
    """imaplib's bytes, lists and tuples as JSON-friendly strings and lists."""
    if isinstance(data, bytes):
        return data.decode('utf-8', 'replace')
    if isinstance(data, (list, tuple)):
        return [text(item) for item in data]
    return data


def main():
    host, port, cafile, login, password = sys.argv[1:6]
    context = ssl.create_default_context(cafile=cafile)
    context.check_hostname = False
    out = {}
    imap = imaplib.IMAP4(host, int(port))
    out['starttls'] = imap.starttls(ssl_context=context)[0]
    out['login'] = imap.login(login, password)[0]
    out['capabilities'] = sorted(text(imap.capability()[1])[0].split())
    typ, folders = imap.list()
    out['list'] = text(folders)
    out['namespace'] = text(imap.namespace()[1])
    out['status'] = text(imap.status('INBOX', '(MESSAGES UNSEEN UIDNEXT)')[1])
    message = 'From: Python <py@example.test>\r\nSubject: =?utf-8?q?envoy=C3=A9_par_imaplib?=\r\n\r\nCorps du message: cardiologie.\r\n'
    out['append'] = text(imap.append('Drafts', '(\\Draft)', None, message.encode('utf-8')))
    out['select'] = imap.select('INBOX')[0]
    out['search'] = text(imap.search('UTF-8', 'TEXT', '"résultats"'.encode('utf-8'))[1])
    out['uid_search'] = text(imap.uid('SEARCH', 'ALL')[1])
    typ, data = imap.fetch('1', '(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    out['fetch'] = text(data)
    out['store'] = text(imap.store('1', '+FLAGS', '(\\Flagged)')[1])
    out['copy'] = imap.copy('1', 'Archive')[0]
    out['myrights'] = text(imap.myrights('INBOX')[1])
    out['getquotaroot'] = text(imap.getquotaroot('INBOX')[1][1])
    imap.store('2', '+FLAGS', '(\\Deleted)')
    out['expunge'] = text(imap.expunge()[1])
    out['close'] = imap.close()[0]
    out['logout'] = imap.logout()[0]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == '__main__':
    main()
