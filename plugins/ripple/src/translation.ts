import {
  createTranslationRef,
  type TranslationFunction,
} from '@backstage/frontend-plugin-api';
import { commonMessages } from './messages/common';
import { migrationPageMessages } from './messages/migrationPage';
import { pagesMessages } from './messages/pages';
import { peopleMessages } from './messages/people';
import { rolloutMessages } from './messages/rollout';
import { engineMessages } from './messages/engine';
import { timingMessages } from './messages/timing';
import { stepsMessages } from './messages/steps';

/**
 * Every word of Ripple's pages and tabs. A portal overrides any of them, or
 * translates them all, with `createTranslationMessages` or
 * `createTranslationResource` of this ref (docs/frontend.md, "Words and
 * translations").
 *
 * Each status is one message, shown wherever that status appears (a
 * consumer's badge, the live preview, the counts): renaming it is one line.
 *
 * @public
 */
export const rippleTranslationRef = createTranslationRef({
  id: 'plugin.ripple',
  messages: {
    ...commonMessages,
    ...migrationPageMessages,
    ...rolloutMessages,
    ...timingMessages,
    ...stepsMessages,
    ...pagesMessages,
    ...engineMessages,
    ...peopleMessages,
  },
});

/** Ripple's translation function, for the helpers that word a status or a change. */
export type RippleT = TranslationFunction<typeof rippleTranslationRef.T>;
