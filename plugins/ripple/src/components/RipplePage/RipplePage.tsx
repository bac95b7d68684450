import { Container } from '@backstage/ui';
import { EnginePlayground } from '../EnginePlayground';

/** Ripple's page: for now, the engine running in the browser. */
export function RipplePage() {
  return (
    <Container>
      <EnginePlayground />
    </Container>
  );
}
