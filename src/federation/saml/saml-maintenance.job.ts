import type { Db } from '../../db/database.ts';
import type { ConnectionRepository } from '../connection.repository.ts';
import type { ConnectionSetupService } from '../connection-setup.service.ts';

/** Owners hear of an expiring IdP certificate this many days before, once for each. */
export const certificateNoticeDays = [30, 7] as const;

export interface SamlMaintenanceDependencies {
  db: Db;
  connections: Pick<ConnectionRepository, 'idsOfType' | 'setupOf' | 'recordCertificateNotices'>;
  setup: Pick<ConnectionSetupService, 'refreshMetadata' | 'certificateExpiries'>;
  organizationName(organizationId: string): Promise<string | undefined>;
  mailOwners(organizationId: string, template: 'certificate-expiring', data: Record<string, string | number>): Promise<void>;
}

/**
 * Daily, for every SAML connection: its metadata fetched again from its URL (the IdP's certificate
 * rollover reaches us on its own), then owners mailed about a signing certificate that expires
 * within 30 and again within 7 days.
 */
export class SamlMaintenanceJob {
  static readonly jobName = 'saml-maintenance';
  readonly #deps: SamlMaintenanceDependencies;

  constructor(deps: SamlMaintenanceDependencies) {
    this.#deps = deps;
  }

  /** What was done; `failed` lists the refreshes that did not work (their stored metadata stays in use). */
  async run(
    now = new Date(),
  ): Promise<{ refreshed: string[]; failed: Array<{ connectionId: string; error: unknown }>; notices: Array<{ connectionId: string; days: number }> }> {
    const refreshed: string[] = [];
    const failed: Array<{ connectionId: string; error: unknown }> = [];
    const notices: Array<{ connectionId: string; days: number }> = [];
    for (const connectionId of await this.#deps.connections.idsOfType('saml')) {
      try {
        if (await this.#deps.setup.refreshMetadata(connectionId)) refreshed.push(connectionId);
      } catch (error) {
        // The stored metadata stays in use: an IdP briefly unreachable must not break sign-in.
        failed.push({ connectionId, error });
      }
      notices.push(...(await this.#noticeExpiries(connectionId, now)));
    }
    return { refreshed, failed, notices };
  }

  async #noticeExpiries(connectionId: string, now: Date): Promise<Array<{ connectionId: string; days: number }>> {
    const { db, connections, setup, mailOwners } = this.#deps;
    const connection = await connections.setupOf(connectionId);
    if (!connection?.organizationId) return [];
    const sent: Array<{ connectionId: string; days: number }> = [];
    for (const certificate of await setup.certificateExpiries(connectionId, now)) {
      const reached = certificateNoticeDays.filter((threshold) => certificate.daysLeft <= threshold);
      if (reached.length === 0) continue;
      const closest = Math.min(...reached);
      // Every threshold passed is recorded; a mail goes out only when the closest one is new.
      const recorded = await connections.recordCertificateNotices(db, connectionId, certificate.sha256, reached);
      if (!recorded.includes(closest)) continue;
      const organization = (await this.#deps.organizationName(connection.organizationId)) ?? '';
      await mailOwners(connection.organizationId, 'certificate-expiring', {
        connection: connection.name,
        organization,
        days: Math.max(certificate.daysLeft, 0),
        date: certificate.notAfter.toISOString().slice(0, 10),
      });
      sent.push({ connectionId, days: closest });
    }
    return sent;
  }
}
