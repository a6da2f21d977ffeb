/**
 * The runbook language's pure parts: the normalized model, templates, `When`
 * conditions and durations. Safe to import from workflow code (no Node
 * builtins, no I/O, no yaml). Parsing files lives in ./validate (yaml) and
 * reading them in ./load (fs); import those directly, outside workflows/.
 */
export * from './types';
export { placeholdersIn, renderTemplate, isTemplate, lookup, valueText, TemplateError, type Placeholder, type TemplateContext, type TemplateValue } from './template';
export { parseCondition, evaluateCondition, evaluateWhen, conditionReferences, ConditionError, type ConditionNode, type ComparisonOperator } from './condition';
export { parseDuration, formatDuration, isDuration, DURATION_PATTERN, DURATION_HINT } from './duration';
