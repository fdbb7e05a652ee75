/**
 * The mailbox lifecycle wired to the operator: the engine with the configured rules, its
 * notices written in the operator's language and delivered into each box and to the
 * owner's usual address (gateway/notifications), and the daily sweep of `hygie start`.
 */
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { LifecycleEngine, mainAddress, noticeText, scheduleDaily, type LifecycleNotifier } from '../directory/lifecycle/index.js';
import { checkLifecycleRules } from '../directory/lifecycle/rules.js';
import { NoticeDelivery } from '../gateway/notifications/notice-delivery.js';
import type { OperatorContext } from './context.js';

export function noticeDelivery(context: Pick<OperatorContext, 'config' | 'store' | 'audit' | 'clock' | 'logger'>): NoticeDelivery {
  const { config } = context;
  const n = config.notifications;
  const from = n.from || `"${config.operator.name.replace(/"/g, '')}" <ne-pas-repondre@${config.operator.domains.regional}>`;
  return new NoticeDelivery({
    store: context.store, from, hostname: config.server.hostnames[0] as string, audit: context.audit, clock: context.clock,
    logger: context.logger.child('notices'),
    ...(n.relayHost ? { relay: { host: n.relayHost, port: n.relayPort, secure: n.relaySecure } } : {}),
  });
}

export function lifecycleEngine(context: Pick<OperatorContext, 'config' | 'db' | 'store' | 'audit' | 'clock' | 'logger'>, delivery: NoticeDelivery): LifecycleEngine {
  const { config } = context;
  const notifier: LifecycleNotifier = {
    async deliver(notices) {
      const failures: Array<{ id: number; error: string }> = [];
      for (const notice of notices) {
        const text = noticeText(notice, { language: config.webmail.language, webmailUrl: config.webmail.publicUrl, operatorName: config.operator.name });
        try {
          await delivery.deliver([{
            mailboxId: notice.mailboxId, boxAddress: mainAddress(notice), notificationAddress: notice.notificationAddress,
            subject: text.subject, text: text.text, topic: `lifecycle.${notice.step}.${notice.kind}`,
          }]);
        } catch (error) {
          failures.push({ id: notice.id, error: (error as Error).message });
        }
      }
      return failures;
    },
  };
  return new LifecycleEngine({
    db: context.db, clock: context.clock, audit: context.audit, notifier, logger: context.logger.child('lifecycle'),
    rules: checkLifecycleRules({ unpublish: { ...config.lifecycle.unpublish }, delete: { ...config.lifecycle.delete } }),
  });
}

/** The daily sweep inside `hygie start`; returns its stop function. */
export function startDailyLifecycle(engine: LifecycleEngine, config: Readonly<Config>, context: Pick<OperatorContext, 'clock'>, logger: Logger): () => void {
  if (!config.lifecycle.enabled) return () => undefined;
  return scheduleDaily(engine, { at: config.lifecycle.runAt, clock: context.clock, logger: logger.child('lifecycle') });
}
