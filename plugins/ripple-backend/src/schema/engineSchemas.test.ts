import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// The OpenAPI spec's change spec, and a reason's kind and severity, are the
// engine's (`ripple schema`, kept as engineSchemas.json; the CLI's tests hold
// that to the Rust types): a spec edited by hand, or not regenerated, fails
// here.
describe("the engine's types in the OpenAPI spec", () => {
  it('are the schemas the engine derives from its Rust types', () => {
    const schemas = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'engineSchemas.json'), 'utf8'),
    );
    const spec = YAML.parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    for (const name of Object.keys(schemas)) {
      expect(spec.components.schemas[name]).toEqual(schemas[name]);
    }
    expect(Object.keys(schemas).sort()).toEqual([
      'Change',
      'ChangeSpec',
      'Dialect',
      'FindingKind',
      'FindingSeverity',
    ]);
  });

  it("types a reason's kind as every kind the engine emits, and the backend's own", () => {
    const spec = YAML.parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    const { anyOf } = spec.components.schemas.PatchReasonKind;
    expect(anyOf[0]).toEqual({ $ref: '#/components/schemas/FindingKind' });
    expect(anyOf[1].enum).toEqual([
      'engine_failed',
      'unusable_annotation',
      'unclassified',
    ]);
    // None of the backend's own is a kind the engine emits.
    const engine: string[] = spec.components.schemas.FindingKind.enum;
    expect(engine.filter(k => anyOf[1].enum.includes(k))).toEqual([]);
  });
});
