//! The analyses made most recently, so that `rewrite` of a file `analyze` or
//! `rewrite` has just read, with the same options, does not parse it again. Callers analyse a
//! file, then rewrite it, often for many changes: the backend's agent reads a
//! consumer and proposes its patch; the browser's live preview rewrites every
//! consumer on each edit of the change. Half of a rewrite's time was
//! analysing the original text again.
//!
//! An analysis is reused only for the same path, text, language, dialect and
//! schema (compared in full, not by hash alone), so a hit gives exactly what
//! analysing again would. `analyze` itself always analyses (and its
//! benchmark against the native engine measures the analysis). The cache is bounded by the text it holds and is
//! dropped with the instance (a panic's fresh instance starts empty).

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use ripple_engine::{Dialect, FileAnalysis, Language, Schema};

/// At most this much source text (and the analyses of it) is kept; the
/// oldest entries go first. 400 typical consumer files are about 1 MiB.
const MAX_TEXT_BYTES: usize = 8 << 20;
const MAX_ENTRIES: usize = 4096;

pub struct Input<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub language: Language,
    pub dialect: Dialect,
    pub schema: Option<&'a Schema>,
}

struct Entry {
    hash: u64,
    path: String,
    text: String,
    language: Language,
    dialect: Dialect,
    schema: Option<Schema>,
    analysis: Rc<FileAnalysis>,
}

impl Entry {
    fn matches(&self, hash: u64, input: &Input) -> bool {
        self.hash == hash
            && self.language == input.language
            && self.dialect == input.dialect
            && self.path == input.path
            && self.schema.as_ref() == input.schema
            && self.text == input.text
    }
}

#[derive(Default)]
struct Analyses {
    entries: VecDeque<Entry>,
    text_bytes: usize,
}

thread_local! {
    static ANALYSES: RefCell<Analyses> = RefCell::default();
}

fn hash(input: &Input) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.path.hash(&mut hasher);
    input.text.hash(&mut hasher);
    hasher.finish()
}

/// The analysis of `input` kept from an earlier call, if any.
pub fn recall(input: &Input) -> Option<Rc<FileAnalysis>> {
    let hash = hash(input);
    ANALYSES.with_borrow(|analyses| analyses.entries.iter().rev().find(|e| e.matches(hash, input)).map(|e| e.analysis.clone()))
}

/// Keeps the analysis of `input` for the calls after this one.
pub fn remember(input: &Input, analysis: Rc<FileAnalysis>) {
    if input.text.len() > MAX_TEXT_BYTES / 4 {
        return;
    }
    let hash = hash(input);
    ANALYSES.with_borrow_mut(|analyses| {
        if analyses.entries.iter().any(|e| e.matches(hash, input)) {
            return;
        }
        analyses.text_bytes += input.text.len();
        analyses.entries.push_back(Entry {
            hash,
            path: input.path.to_string(),
            text: input.text.to_string(),
            language: input.language,
            dialect: input.dialect,
            schema: input.schema.cloned(),
            analysis,
        });
        while analyses.text_bytes > MAX_TEXT_BYTES || analyses.entries.len() > MAX_ENTRIES {
            let Some(oldest) = analyses.entries.pop_front() else { break };
            analyses.text_bytes -= oldest.text.len();
        }
    });
}
