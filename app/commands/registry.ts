/** `hygie registry …`: import the national extraction files, read the import history, show a professional. */
import type { OperatorContext } from '../context.js';
import {
  formatImportList, formatImportResult, formatProfessional, formatRejections, parseKind, ProgressBar, RegistryService,
  type Language,
} from '../../directory/registry/index.js';
import { operatorActor, optionalString, withContext } from './shared.js';
import { UsageError, type CliCommand, type OptionValues } from './types.js';

const LANGUAGE_OPTION = { lang: { type: 'string' }, json: { type: 'boolean' } } as const;

function languageOf(values: OptionValues): Language {
  const lang = optionalString(values, 'lang') ?? 'fr';
  if (lang !== 'fr' && lang !== 'en') throw new UsageError('--lang must be fr or en');
  return lang;
}

function registryOf(context: OperatorContext, language: Language): RegistryService {
  const { maxVanishedPercent, vanishedAlwaysAccepted } = context.config.registry;
  return new RegistryService({
    db: context.db, clock: context.clock, audit: context.audit, language,
    vanishGuard: { maxPercent: maxVanishedPercent, alwaysAccepted: vanishedAlwaysAccepted },
  });
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number`);
  return n;
}

const importFiles: CliCommand = {
  words: ['registry', 'import'],
  usage: `FILE… [--kind K] [--allow-vanish] [--lang fr|en] [--json]
      import national extraction files (.txt, or the .zip as downloaded): PS_LibreAcces_Personne_activite,
      _SavoirFaire, _Dipl_AutExerc, Extraction_Correspondance_MSSante, or a regional list (.csv);
      --kind personne-activite|savoir-faire|diplomes|mssante|regional-addresses overrides the file name;
      --allow-vanish applies a file that would mark more than registry.maxVanishedPercent of a table vanished`,
  options: { kind: { type: 'string' }, 'allow-vanish': { type: 'boolean' }, ...LANGUAGE_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    if (args.length === 0) throw new UsageError('registry import needs at least one FILE');
    const language = languageOf(values);
    const kind = optionalString(values, 'kind');
    const bar = values.json ? undefined : ProgressBar.onStderr(language);
    const results = await registryOf(context, language).importFiles(args, {
      actor: operatorActor(), channel: 'cli', allowVanish: values['allow-vanish'] === true, ...(kind ? { kind: parseKind(kind) } : {}),
      ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
      onResult: (result) => {
        bar?.clear();
        if (!values.json) console.log(formatImportResult(result, language));
      },
    });
    if (values.json) console.log(JSON.stringify(results, null, 2));
    return results.some((r) => r.status === 'failed') ? 1 : 0;
  }),
};

const history: CliCommand = {
  words: ['registry', 'imports'],
  usage: '[--kind K] [--limit N] [--lang fr|en] [--json]\n      the registry imports, newest first',
  options: { kind: { type: 'string' }, limit: { type: 'string' }, ...LANGUAGE_OPTION },
  run: ({ values, config }) => withContext(config, async (context) => {
    const language = languageOf(values);
    const kind = optionalString(values, 'kind');
    const imports = await registryOf(context, language).listImports({
      limit: positiveInteger(optionalString(values, 'limit'), '--limit', 20), ...(kind ? { kind: parseKind(kind) } : {}),
    });
    console.log(values.json ? JSON.stringify(imports, null, 2) : formatImportList(imports, language));
    return 0;
  }),
};

const rejections: CliCommand = {
  words: ['registry', 'rejections'],
  usage: 'IMPORT_ID [--limit N] [--offset N] [--lang fr|en] [--json]\n      the lines an import rejected, with their number and reason',
  options: { limit: { type: 'string' }, offset: { type: 'string' }, ...LANGUAGE_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const id = args[0];
    if (!id || !/^\d+$/.test(id)) throw new UsageError('registry rejections needs the IMPORT_ID (see hygie registry imports)');
    const language = languageOf(values);
    const rows = await registryOf(context, language).rejections(Number(id), {
      limit: positiveInteger(optionalString(values, 'limit'), '--limit', 100), offset: positiveInteger(optionalString(values, 'offset'), '--offset', 0),
    });
    console.log(values.json ? JSON.stringify(rows, null, 2) : formatRejections(rows, language));
    return 0;
  }),
};

const show: CliCommand = {
  words: ['registry', 'show'],
  usage: 'RPPS|ADELI|NATIONAL_ID [--lang fr|en] [--json]\n      a professional with activities, structures, skills, diplomas and secure addresses',
  options: { ...LANGUAGE_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const reference = args[0];
    if (!reference) throw new UsageError('registry show needs an RPPS, ADELI or national identifier');
    const language = languageOf(values);
    const professional = await registryOf(context, language).professional(reference);
    console.log(values.json ? JSON.stringify(professional, null, 2) : formatProfessional(professional, language));
    return 0;
  }),
};

export const registryCommands: CliCommand[] = [importFiles, history, rejections, show];
