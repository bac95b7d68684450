//! Minimal-diff rewrites: given a change to a dataset, the smallest edit of
//! each consumer's code that keeps it working, verified, or the reasons a
//! person must decide.
//!
//! The analysis says where every reference to the dataset is; the planner
//! turns each into a fix, edits of exactly the characters that change (never
//! printing SQL back out), or a [`Finding`] for a person; the edits are
//! applied in one place; and the result is verified by analysing it again.

mod edit;
mod finding;
mod patch;
mod plan;
mod text;
mod unmatched;
mod verify;
mod widening;

use serde::Serialize;

use crate::analysis::{analyze, FileAnalysis, MAX_FILE_BYTES};
use crate::{ChangeSpec, EngineError, Language, Options};
pub use finding::{Finding, FindingKind, FindingSeverity};
pub use patch::unified_diff;
use plan::{Plan, Planner};
pub use unmatched::{unmatched_dataset, UnmatchedDataset};

/// `text` with each range replaced by its text, all at once, through the
/// one place edits are applied (overlapping ones are an error).
pub(crate) fn apply_edits(text: &str, replacements: Vec<(std::ops::Range<usize>, String)>) -> Result<String, EngineError> {
    let edits: Vec<edit::Edit> = replacements.into_iter().map(|(range, content)| edit::Edit::replacement(range, content)).collect();
    edit::apply(text, &edits).map(|(text, _)| text)
}

/// What the rewrite did to one consumer file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum RewriteStatus {
    /// Edited and verified; nothing left for a person.
    Rewritten,
    /// Nothing in the file depends on what the change touches.
    Unaffected,
    /// A person must edit the code by hand where `reasons` say, and why
    /// (`needs_review` before 0.2). Edits that could be made and verified are
    /// still in the patch.
    NeedsEdit,
    /// The file could not be read as a consumer at all.
    Error,
}

/// The rewrite of one consumer file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct FileRewrite {
    pub path: String,
    pub status: RewriteStatus,
    /// What the status is about, in the file's order: for `needs_edit`, what
    /// a person must edit and why (and the note that output names were
    /// kept, if they were); for `error`, why the file could not be
    /// rewritten; otherwise what the change does that needs no edit (notes).
    pub findings: Vec<Finding>,
    /// Deprecated, written until 0.3: `findings` as text, `line N, column M:
    /// message` (the message alone for the whole file).
    pub reasons: Vec<String>,
    /// How many places were edited.
    pub edits: usize,
    /// The unified diff (`git apply` accepts it); absent when nothing changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// The rewritten file, when edited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// Rewrites one consumer file for `spec`. Never fails: problems are
/// reported as the file's status and reasons.
pub fn rewrite(path: &str, language: Language, text: &str, spec: &ChangeSpec, options: Options) -> FileRewrite {
    if text.len() > MAX_FILE_BYTES {
        return too_large(path, text);
    }
    rewrite_analyzed(&analyze(path, language, text, options), language, text, spec, options)
}

/// [`rewrite`] of a file already analysed with the same `options`: a caller
/// that rewrites one file for many changes (the browser's live preview, one
/// rewrite per edit of the change) analyses it once.
pub fn rewrite_analyzed(analysis: &FileAnalysis, language: Language, text: &str, spec: &ChangeSpec, options: Options) -> FileRewrite {
    let path = analysis.path.as_str();
    if text.len() > MAX_FILE_BYTES {
        return too_large(path, text);
    }
    // A spec built in Rust has not been through `from_json`'s checks, and
    // its mappings must read in the dialect the consumer is written in.
    if let Err(e) = spec.validate_in(options.dialect) {
        return failed(path, Finding::file(FindingKind::InvalidChange, FindingSeverity::Error, e.to_string()));
    }
    let mut attempt = Attempt::new(analysis, text, language, spec, options);
    // New output names cannot always follow a rename (a set operation's other
    // branch, or a join by name, keeps the old one): the names are kept then.
    if let (false, Some(why)) = (spec.preserve_output_names, attempt.unverified.clone()) {
        let keeping = ChangeSpec { preserve_output_names: true, ..spec.clone() };
        let mut kept = Attempt::new(analysis, text, language, &keeping, options);
        let needs_edit = kept.plan.findings.iter().any(|f| f.severity == FindingSeverity::NeedsEdit);
        // Kept names that still leave everything to a person say so without a patch.
        if kept.unverified.is_none() && (kept.new_text.is_some() || needs_edit) {
            let why = why.message.strip_prefix(UNVERIFIED).unwrap_or(&why.message);
            let message = format!("output column names are kept (`new AS old`), since the rewrite with new names did not verify: {why}");
            kept.plan.findings.push(Finding::file(FindingKind::OutputNamesKept, FindingSeverity::Note, message));
            attempt = kept;
        }
    }
    let Attempt { plan, new_text, unverified } = attempt;
    let needs_edit = plan.findings.iter().any(|f| f.severity == FindingSeverity::NeedsEdit);
    let findings = shown(plan.findings, needs_edit);
    let mut result = FileRewrite { path: path.to_string(), status: RewriteStatus::Unaffected, findings, reasons: Vec::new(), edits: 0, patch: None, content: None };
    if let Some(why) = unverified {
        result.findings.push(why);
        result.status = RewriteStatus::NeedsEdit;
    } else if let Some((new_text, edits)) = new_text {
        result.status = if needs_edit { RewriteStatus::NeedsEdit } else { RewriteStatus::Rewritten };
        result.edits = edits;
        result.patch = Some(unified_diff(path, text, &new_text));
        result.content = Some(new_text);
    } else if needs_edit {
        result.status = RewriteStatus::NeedsEdit;
    }
    result.reasons = result.findings.iter().map(Finding::to_string).collect();
    result
}

/// The findings the status is about: what a person must edit (and that
/// output names were kept) when there is any, else the notes. Notes beside
/// edits by hand would bury them.
fn shown(mut findings: Vec<Finding>, needs_edit: bool) -> Vec<Finding> {
    findings.retain(|f| (f.severity == FindingSeverity::Note) != needs_edit || f.kind == FindingKind::OutputNamesKept);
    findings
}

fn too_large(path: &str, text: &str) -> FileRewrite {
    let message = format!("file is {} bytes, over the {MAX_FILE_BYTES}-byte limit; not rewritten", text.len());
    failed(path, Finding::file(FindingKind::FileTooLarge, FindingSeverity::Error, message))
}

/// The rewrite of a file that could not be rewritten at all.
fn failed(path: &str, why: Finding) -> FileRewrite {
    FileRewrite { path: path.to_string(), status: RewriteStatus::Error, reasons: vec![why.to_string()], findings: vec![why], edits: 0, patch: None, content: None }
}

const UNVERIFIED: &str = "the rewrite could not be verified, so none is proposed: ";

/// One plan for a change, applied and verified.
struct Attempt {
    plan: Plan,
    /// The rewritten text and how many edits made it, when the plan edits something.
    new_text: Option<(String, usize)>,
    /// Why the edits cannot be proposed (they overlap or do not verify).
    unverified: Option<Finding>,
}

impl Attempt {
    fn new(analysis: &FileAnalysis, text: &str, language: Language, spec: &ChangeSpec, options: Options) -> Attempt {
        let widened = widening::widened_columns(spec, options.schema);
        let plan = Planner::new(text, language, spec, options.dialect).with_widened(widened).plan(analysis);
        if plan.fixes.is_empty() {
            return Attempt { plan, new_text: None, unverified: None };
        }
        let (new_text, edits) = match edit::apply(text, plan.edits()) {
            Ok(applied) => applied,
            Err(e) => {
                let why = overlap_finding(e);
                return Attempt { plan, new_text: None, unverified: Some(why) };
            }
        };
        match verify::verify(analysis, &new_text, language, spec, options, &plan) {
            Ok(()) => Attempt { plan, new_text: Some((new_text, edits)), unverified: None },
            Err(why) => {
                let message = format!("{UNVERIFIED}{}", why.message);
                let finding = match why.statement.and_then(|i| analysis.statements.get(i)) {
                    Some(s) => Finding::at(FindingKind::VerificationFailed, FindingSeverity::NeedsEdit, s.start, s.end, message),
                    None => Finding::file(FindingKind::VerificationFailed, FindingSeverity::NeedsEdit, message),
                };
                Attempt { plan, new_text: None, unverified: Some(finding) }
            }
        }
    }
}

/// Overlapping edits are a defect of the planner: nothing is proposed, and
/// the finding says where, for a person to edit and for the corpus test to
/// catch.
fn overlap_finding(error: EngineError) -> Finding {
    let message = format!("{error}; this is a defect of Ripple's, edit the file by hand");
    match error {
        EngineError::OverlappingEdits { line, column, .. } => {
            // Where the second edit starts: a place, not a range.
            let at = crate::Location { line, column };
            Finding::at(FindingKind::OverlappingEdits, FindingSeverity::NeedsEdit, at, at, message)
        }
        _ => Finding::file(FindingKind::OverlappingEdits, FindingSeverity::NeedsEdit, message),
    }
}
