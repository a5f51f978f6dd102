import { subjectProblem } from '../utils/subjects.js';

const PLACEHOLDER = /\{(subject|stream|durable)\}/g;

/** The dead-letter subject for one message: `{subject}`, `{stream}`, `{durable}` filled in. Pure. */
export function renderDeadLetterSubject(template: string, subject: string, stream: string, durable: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'subject' ? subject : name === 'stream' ? stream : durable));
}

/** Why a dead-letter subject template cannot work, or undefined. */
export function deadLetterProblem(template: string): string | undefined {
  if (/\{(?!subject\}|stream\}|durable\})[^}]*\}/.test(template)) return 'it has a placeholder other than {subject}, {stream} and {durable}';
  const sample = renderDeadLetterSubject(template, 'a.b', 'S', 'd');
  return subjectProblem(sample, false);
}
