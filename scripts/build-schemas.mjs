// Part of `npm run build`: writes dist/load/schemaValidators.cjs, the JSON Schemas' validators compiled ahead of time.
import { readFileSync, writeFileSync } from 'node:fs';
import { schemaModuleCode } from '../dist/load/schemaCode.js';
import { INVENTORY_SCHEMA_FILE, PLAYBOOK_SCHEMA_FILE } from '../dist/load/schemas.js';

const target = new URL('../dist/load/schemaValidators.cjs', import.meta.url);
writeFileSync(target, schemaModuleCode(readFileSync(INVENTORY_SCHEMA_FILE, 'utf8'), readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8')));
