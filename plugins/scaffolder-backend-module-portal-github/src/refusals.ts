import { LoggerService } from '@backstage/backend-plugin-api';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';

/**
 * The action with its refusals (NotAllowedError: an owner, URL or visibility
 * the user may not use) logged once at WARNING, naming the user and the
 * action, next to the message in the task's own log.
 */
export function withRefusalsLogged(
  action: TemplateAction<any, any, any>,
  logger: LoggerService,
): TemplateAction<any, any, any> {
  return {
    ...action,
    async handler(ctx) {
      try {
        await action.handler(ctx);
      } catch (error) {
        if ((error as Error)?.name === 'NotAllowedError') {
          logger.warn(
            `Refused ${action.id} for ${
              ctx.user?.ref ?? 'an unknown user'
            } (task ${ctx.task.id ?? 'dry-run'}): ${(error as Error).message}`,
          );
        }
        throw error;
      }
    },
  };
}
