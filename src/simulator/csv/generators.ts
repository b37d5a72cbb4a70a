/** Entity name -> its generator; rows.ts looks entities up here so a new entity is one line. */
import type { EntityName } from '../../entities/catalog.js';
import type { EntityGenerator } from './entity-generator.js';
import { payrollGenerator } from './payroll-rows.js';
import { qmCommentGenerator, qmQuestionGenerator, qmWorkflowGenerator } from './qm-rows.js';
import { recordingGenerator } from './recording-rows.js';

export const GENERATORS: Readonly<Record<EntityName, EntityGenerator>> = {
  'recording-interaction-metadata': recordingGenerator,
  'qm-workflows': qmWorkflowGenerator,
  'qm-questions': qmQuestionGenerator,
  'qm-evaluation-comment-entity': qmCommentGenerator,
  'wfm-payroll': payrollGenerator,
};
