import type { Db } from '../db/database.ts';
import type { Locale } from '../ui/i18n.ts';
import type { DeviceCheckService } from './device-check.service.ts';
import { deviceLabel } from './device-label.ts';
import type { FactorNotices } from './factor-notices.ts';

export interface DeviceSignInDependencies {
  devices: Pick<DeviceCheckService, 'remember'>;
  notices: Pick<FactorNotices, 'newDeviceSignIn'>;
}

/** A completed sign-in, seen from the browser it came from. */
export class DeviceSignIns {
  readonly #deps: DeviceSignInDependencies;

  constructor(deps: DeviceSignInDependencies) {
    this.#deps = deps;
  }

  /**
   * Records the browser (trusted for 30 days when asked) and, when the account never used it
   * though it used others, mails the account a "new sign-in" notice with its "This wasn't me"
   * link, whatever factors the account has.
   */
  async record(trx: Db, accountId: string, deviceToken: string, userAgent: string, trust: boolean, locale: Locale): Promise<void> {
    if (await this.#deps.devices.remember(trx, accountId, deviceToken, userAgent, trust)) {
      await this.#deps.notices.newDeviceSignIn(accountId, deviceLabel(userAgent), locale);
    }
  }
}
