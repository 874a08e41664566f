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
 * The inventory as `ansible-inventory --list` shows it, with secrets redacted. Hosts listed only directly under `all` appear
 * in the group `ungrouped`, as in Ansible.
 */
export function inventoryListing(inventory: Inventory): InventoryListing {
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of inventory.hosts.values()) hostvars[host.name] = redactSecrets(host.vars);
  const listing: InventoryListing = { _meta: { hostvars } };

  const all = inventory.groups.get('all');
  const ungrouped = (all?.hosts ?? []).filter((name) => inventory.hosts.get(name)?.groups.length === 1);
  const listed = (group: { hosts: string[]; children: string[]; vars: Record<string, unknown> }): ListedGroup => ({
    ...(group.hosts.length > 0 ? { hosts: [...group.hosts] } : {}),
    ...(group.children.length > 0 ? { children: [...group.children] } : {}),
    ...(Object.keys(group.vars).length > 0 ? { vars: redactSecrets(group.vars) } : {}),
  });
  listing.all = listed({
    hosts: [],
    children: [...(all?.children ?? []), ...(ungrouped.length > 0 ? ['ungrouped'] : [])],
    vars: all?.vars ?? {},
  });
  for (const group of inventory.groups.values()) if (group.name !== 'all') listing[group.name] = listed(group);
  if (ungrouped.length > 0) listing.ungrouped = { hosts: ungrouped };
  return listing;
}
