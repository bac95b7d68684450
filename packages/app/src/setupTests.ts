import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Queries wait for what they look for however long a loaded machine takes to
// render it: the default gives up after 1 s, and a whole app rendered on a
// 2-core runner shared with builds can take longer. A test that never finds
// what it waits for still fails, at Jest's timeout.
configure({ asyncUtilTimeout: 30_000 });
jest.setTimeout(60_000);
