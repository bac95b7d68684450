import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// The OpenAPI spec's change spec is the engine's (`ripple schema`, kept as
// changeSpec.json; the CLI's tests hold that to the Rust types): a spec
// edited by hand, or not regenerated, fails here.
describe('the change spec in the OpenAPI spec', () => {
  it('is the schema the engine derives from its Rust types', () => {
    const schemas = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'changeSpec.json'), 'utf8'),
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
    ]);
  });
});
