import type { Entity } from '@backstage/catalog-model';
import type {
  DeliveryStatus,
  PatchId,
} from '@ripple/backstage-plugin-ripple-common';

// Where a consumer's patch is in its delivery, and how a patch is named: the
// API's own types (one definition, in the OpenAPI spec), re-exported for
// delivery methods.
export type { DeliveryStatus, PatchId };

/**
 * What a delivery method is given: the migration, the consumer and the
 * approved patch to deliver.
 *
 * @public
 */
export interface DeliveryRequest {
  migration: {
    id: string;
    title: string;
    /** The dataset's entity ref. */
    datasetRef: string;
    /** The migration's page in Backstage, for links back from pull requests. */
    url: string;
  };
  consumer: {
    /** The consumer's entity ref, in lower case. */
    ref: string;
    entity: Entity;
    /** The entity refs of the consumer's owners (users and groups). */
    owners: string[];
  };
  patch: {
    id: PatchId;
    /** One unified diff over the consumer's files, paths relative to its code location. */
    diff: string;
    /** The hash of the code the patch was made from. */
    baseHash: string;
  };
}

/**
 * The state of one consumer's delivery, as a delivery method reports it and
 * the Ripple backend stores it. A method gets back what it returned last time
 * and may keep there what it needs (the branch, the commit).
 *
 * @public
 */
export interface Delivery {
  /** The id of the delivery method. */
  method: string;
  status: DeliveryStatus;
  /** Where a person sees the delivery: the pull request, the branch, the download. */
  url?: string;
  branch?: string;
  commit?: string;
  /** The combined status of the checks that run on it, where the method knows it. */
  checks?: 'pending' | 'passing' | 'failing';
  /**
   * The checks that failed, when `checks` is `failing`: each one's name (a
   * check run's name, a commit status's context) and where to read it.
   */
  failedChecks?: FailedCheck[];
  /** Why it is in this status, for people (a failure, a closed pull request). */
  message?: string;
  /**
   * Set by the rollout on a `pending` delivery whose last attempt failed
   * transiently (`TransientDeliveryError`): how many attempts failed
   * so, and when the next one is due (ISO 8601).
   */
  retry?: { attempts: number; nextAttemptAt: string };
}

/**
 * One failed check of a delivery: a CI job, a commit status.
 *
 * @public
 */
export interface FailedCheck {
  name: string;
  url?: string;
}

/**
 * Whether a delivery can be merged as it is: for a branch, that the patch
 * still applies to the current head of the base branch.
 *
 * @public
 */
export interface DeliveryReadiness {
  ready: boolean;
  /** Why not (or a note when ready, such as "already merged"). */
  reason?: string;
}

/**
 * One way of bringing an approved patch into a consumer's code. Ripple's
 * rollout calls `deliver` when the consumer's wave starts, `sync` to follow
 * it, `checkReady` before relying on it, and `revert` on a rollback. Every
 * call must be idempotent: the rollout retries after a restart.
 *
 * @public
 */
export interface RippleDeliveryMethod {
  /** A unique id, such as `download`, `git-branch` or `github-pull-request`. */
  readonly id: string;
  /** Whether the method can deliver to this consumer (it knows its repository, say). */
  supports(consumer: DeliveryRequest['consumer']): boolean;
  /**
   * Sends the patch. A patch that does not apply is a `failed` delivery
   * with the reason; a failure that may pass (the network, a 5xx, a rate
   * limit) is thrown as a `TransientDeliveryError`, and the rollout
   * tries again later; any other error thrown makes the delivery `failed`.
   * `checkReady` follows the same rules.
   */
  deliver(request: DeliveryRequest): Promise<Delivery>;
  /** The delivery's current status, read back from where it was delivered. */
  sync(request: DeliveryRequest, delivery: Delivery): Promise<Delivery>;
  /** Undoes the delivery: a revert when merged, otherwise withdraws it. */
  revert(request: DeliveryRequest, delivery: Delivery): Promise<Delivery>;
  /** Whether the delivery can be merged as it is now. */
  checkReady(
    request: DeliveryRequest,
    delivery: Delivery,
  ): Promise<DeliveryReadiness>;
}
