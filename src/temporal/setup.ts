/**
 * `signalroom setup`: registers Signalroom's search attributes on any cluster
 * through the operator service. Idempotent: existing ones are left alone, a
 * name taken with another type is reported.
 */
import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const TYPE_OF: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

export interface SetupReport {
  added: string[];
  present: string[];
}

export async function registerSearchAttributes(connection: ConnectionLike, namespace: string): Promise<SetupReport> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const report: SetupReport = { added: [], present: [] };
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    const wanted = TYPE_OF[type];
    if (name in custom) {
      if (custom[name] !== wanted) {
        throw new Error(`Search attribute ${name} exists on namespace ${namespace} with another type (${IndexedValueType[custom[name]]}); Signalroom needs ${type}`);
      }
      report.present.push(name);
    } else missing[name] = wanted;
  }
  if (Object.keys(missing).length) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    report.added.push(...Object.keys(missing));
  }
  return report;
}
