import { loadInventory, loadPlaybook, parseExtraVars } from '../load/index.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import { reportDiagnostics, type Output } from './output.js';

/** Loads the inventory and the playbook, printing every diagnostic; undefined when the input is invalid. */
export async function loadInputs(
  output: Output,
  playbookFile: string,
  inventoryFiles: string | readonly string[],
  extraVarPairs: string[],
): Promise<{ inventory: Inventory; playbook: Playbook; extraVars: Record<string, unknown> } | undefined> {
  const extra = parseExtraVars(extraVarPairs);
  const inventory = await loadInventory(inventoryFiles, { extraVars: extra.vars });
  // The playbook's own mistakes are reported even when the inventory is broken.
  const playbook = await loadPlaybook(playbookFile, inventory.value, { extraVars: extra.vars });
  const diagnostics = [...extra.diagnostics, ...inventory.diagnostics, ...playbook.diagnostics];
  if (reportDiagnostics(output, diagnostics) || !inventory.value || !playbook.value) return undefined;
  return { inventory: inventory.value, playbook: playbook.value, extraVars: extra.vars };
}
