import { classifyProposal } from './classify';

describe('classifyProposal', () => {
  const rewritten = { diff: '-a\n+b\n', status: 'rewritten' as const };

  it('calls the same diff and status unchanged', () => {
    expect(classifyProposal(rewritten, { ...rewritten })).toBe('unchanged');
  });

  it('calls another diff of a rewritten patch changed', () => {
    expect(
      classifyProposal(rewritten, { diff: '-a\n+"b"\n', status: 'rewritten' }),
    ).toBe('changed');
  });

  it('calls a patch that needed a person and is now rewritten newly rewritten', () => {
    expect(
      classifyProposal({ diff: '', status: 'needs_edit' }, rewritten),
    ).toBe('newly_rewritten');
    expect(classifyProposal({ diff: '', status: 'error' }, rewritten)).toBe(
      'newly_rewritten',
    );
  });

  it('calls a rewritten or unaffected patch that now needs a person newly for a person', () => {
    expect(
      classifyProposal(rewritten, { diff: '', status: 'needs_edit' }),
    ).toBe('newly_for_a_person');
    expect(
      classifyProposal(
        { diff: '', status: 'unaffected' },
        { diff: '', status: 'error' },
      ),
    ).toBe('newly_for_a_person');
  });

  it('calls another diff between two patches for a person changed', () => {
    expect(
      classifyProposal(
        { diff: '-a\n', status: 'needs_edit' },
        { diff: '-b\n', status: 'needs_edit' },
      ),
    ).toBe('changed');
  });
});
