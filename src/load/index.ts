// The loading layer: YAML files in, validated model or positioned diagnostics out.
export { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic, type LoadResult } from './diagnostics.js';
export { EXTRA_VARS_SOURCE, parseExtraVars } from './extraVars.js';
export { loadInventory, type LoadOptions } from './inventory.js';
export { inventoryListing, type InventoryListing, type ListedGroup } from './listing.js';
export { loadPlaybook } from './playbook.js';
export { REDACTED, redactSecrets } from './secrets.js';
export { INVENTORY_SCHEMA_FILE, PLAYBOOK_SCHEMA_FILE } from './schemas.js';
