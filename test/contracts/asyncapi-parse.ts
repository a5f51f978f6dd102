// The AsyncAPI project's own parser, as the tests validate our documents with: every diagnostic
// of severity error (and warning), as lines a failed assertion can show.
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';

const parser = new Parser();

/** Parses `text` (JSON or YAML) and returns its error and warning diagnostics, one line each. */
export async function asyncApiProblems(text: string): Promise<string[]> {
  const { diagnostics } = await parser.parse(text);
  return diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning)
    .map((d) => `${d.severity === DiagnosticSeverity.Error ? 'error' : 'warning'} ${d.code} at ${d.path.join('.')}: ${d.message}`);
}
