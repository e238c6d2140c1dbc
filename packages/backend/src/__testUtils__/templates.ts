import fs from 'node:fs';
import path from 'node:path';
import { Entity } from '@backstage/catalog-model';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './repoRoot';

/** The templates/ folder of the repository. */
export const templatesDir = path.join(repoRoot, 'templates');

/**
 * A template of templates/<name> as the catalog holds it: with the file
 * location it was read from (relative fetch URLs resolve against it).
 */
export function templateEntity(name: string): Entity {
  const file = path.join(templatesDir, name, 'template.yaml');
  const entity = parseYaml(fs.readFileSync(file, 'utf8')) as Entity;
  entity.metadata.namespace = 'default';
  entity.metadata.annotations = {
    'backstage.io/managed-by-location': `file:${file}`,
    'backstage.io/managed-by-origin-location': `file:${file}`,
  };
  return entity;
}
