import type { Inventory } from '../model/inventory.js';
import { redactSecrets } from './secrets.js';

/** One group in `ansible-inventory --list` output; empty members are left out. */
export interface ListedGroup {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}

/** The shape `ansible-inventory --list` prints: merged variables per host under `_meta.hostvars`, then each group. */
export type InventoryListing = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, ListedGroup | object>;

/**
 * The inventory as `ansible-inventory --list` shows it, with secrets redacted. Hosts in no group but `all` are in
 * `ungrouped`, as in Ansible. Groups also show their own variables (Ansible shows only the merged ones, per host).
 */
export function inventoryListing(inventory: Inventory): InventoryListing {
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of inventory.hosts.values()) hostvars[host.name] = redactSecrets(host.vars);
  const listing: InventoryListing = { _meta: { hostvars } };
  const listed = (group: { hosts: string[]; children: string[]; vars: Record<string, unknown> }): ListedGroup => ({
    ...(group.hosts.length > 0 ? { hosts: [...group.hosts] } : {}),
    ...(group.children.length > 0 ? { children: [...group.children] } : {}),
    ...(Object.keys(group.vars).length > 0 ? { vars: redactSecrets(group.vars) } : {}),
  });

  // Like Ansible, `all` lists its child groups only: a host directly under it is in ungrouped.
  for (const group of inventory.groups.values()) listing[group.name] = listed(group.name === 'all' ? { ...group, hosts: [] } : group);
  return listing;
}
