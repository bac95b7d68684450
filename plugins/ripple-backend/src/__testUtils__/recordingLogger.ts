import {
  coreServices,
  createServiceFactory,
  type LoggerService,
} from '@backstage/backend-plugin-api';

/** A log line as a test reads it. */
export type LogRecord = {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: Record<string, unknown>;
};

/**
 * The backend's root logger, recording every line for the test to read
 * (what is logged is part of some behaviours: a bad annotation skipped).
 */
export function recordingLoggerFactory(records: LogRecord[]) {
  const make = (meta: Record<string, unknown>): LoggerService => {
    const log =
      (level: LogRecord['level']) => (message: string, extra?: unknown) => {
        records.push({
          level,
          message,
          meta: { ...meta, ...(extra as Record<string, unknown>) },
        });
      };
    return {
      error: log('error'),
      warn: log('warn'),
      info: log('info'),
      debug: log('debug'),
      child: more => make({ ...meta, ...more }),
    };
  };
  return createServiceFactory({
    service: coreServices.rootLogger,
    deps: {},
    factory: () => make({}),
  });
}
