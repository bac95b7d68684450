import { ripplePlugin } from './plugin';

describe('ripple', () => {
  it('should export plugin', () => {
    expect(ripplePlugin).toBeDefined();
  });
});
