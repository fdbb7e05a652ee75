/** Every kind of file the import reads, and telling a file's kind from its header. */
import { mssante, regionalAddresses } from './addresses.js';
import { headerFields, resolveHeader } from './fields.js';
import type { KindDefinition } from './kind.js';
import type { ImportKind } from './kinds.js';
import { personneActivite } from './personne-activite.js';
import { diplomas, savoirFaire } from './skills-diplomas.js';

export const KIND_DEFINITIONS: Readonly<Record<ImportKind, KindDefinition>> = {
  'personne-activite': personneActivite,
  'savoir-faire': savoirFaire,
  'diplomes': diplomas,
  'mssante': mssante,
  'regional-addresses': regionalAddresses,
};

/** The separator of a header line for this kind: the first of its separators the line holds. */
export function separatorOf(definition: KindDefinition, headerLine: string): string {
  return definition.separators.find((s) => headerLine.includes(s)) ?? (definition.separators[0] as string);
}

/**
 * The kind a header line looks like: the one whose columns name the most of its fields
 * (a Personne_activite header holds every SavoirFaire column, and far more of its own);
 * on a tie, the kind the header covers best (a SavoirFaire header is all of SavoirFaire,
 * a quarter of Personne_activite). Undefined when no kind recognises any field.
 */
export function kindOfHeader(headerLine: string): ImportKind | undefined {
  let best: { kind: ImportKind; known: number; coverage: number } | undefined;
  for (const definition of Object.values(KIND_DEFINITIONS)) {
    const resolved = resolveHeader(headerFields(headerLine, separatorOf(definition, headerLine)), definition.columns);
    const positions = Object.values(resolved.index);
    const known = positions.filter((i) => i >= 0).length;
    const coverage = known / positions.length;
    if (known > 0 && (!best || known > best.known || (known === best.known && coverage > best.coverage))) {
      best = { kind: definition.kind, known, coverage };
    }
  }
  return best?.kind;
}
