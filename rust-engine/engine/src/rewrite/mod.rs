//! Minimal-diff rewrites: given a change to a dataset, the smallest edit of
//! each consumer's code that keeps it working, verified, or the reasons a
//! person must decide.
//!
//! The analysis says where every reference to the dataset is; the planner
//! turns each into an [`Edit`] of exactly the characters that change (never
//! printing SQL back out); the edits are applied in one place; and the
//! result is verified by analysing it again.

mod plan;
mod text;
mod verify;
mod widening;

use serde::Serialize;

use crate::analysis::{analyze, FileAnalysis, MAX_FILE_BYTES};
use crate::{ChangeSpec, Language, Options};
use plan::{Edit, Plan, Planner};

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
    /// For `needs_edit` and `error`: why, each with a line and column.
    /// Otherwise, what the change does to the file that needs no edit.
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
    let mut result = FileRewrite { path: path.to_string(), status: RewriteStatus::Unaffected, reasons: Vec::new(), edits: 0, patch: None, content: None };
    // A spec built in Rust has not been through `from_json`'s checks, and
    // its mappings must read in the dialect the consumer is written in.
    if let Err(e) = spec.validate_in(options.dialect) {
        result.status = RewriteStatus::Error;
        result.reasons.push(e.to_string());
        return result;
    }
    let mut attempt = Attempt::new(analysis, text, language, spec, options);
    // New output names cannot always follow a rename (a set operation's other
    // branch, or a join by name, keeps the old one): the names are kept then.
    if let (false, Some(why)) = (spec.preserve_output_names, attempt.unverified.clone()) {
        let keeping = ChangeSpec { preserve_output_names: true, ..spec.clone() };
        let mut kept = Attempt::new(analysis, text, language, &keeping, options);
        // Kept names that still leave everything to a person say so without a patch.
        if kept.unverified.is_none() && (kept.new_text.is_some() || !kept.plan.manual_edits.is_empty()) {
            let why = why.strip_prefix(UNVERIFIED).unwrap_or(&why);
            let note = format!("output column names are kept (`new AS old`), since the rewrite with new names did not verify: {why}");
            // Said with the manual edits when there are some, since only they are shown then.
            match kept.plan.manual_edits.is_empty() {
                true => kept.plan.notes.push(note),
                false => kept.plan.manual_edits.push(note),
            }
            attempt = kept;
        }
    }
    let Attempt { plan, new_text, unverified } = attempt;
    let needs_edit = !plan.manual_edits.is_empty();
    result.reasons = if needs_edit { plan.manual_edits } else { plan.notes };
    if let Some(why) = unverified {
        result.status = RewriteStatus::NeedsEdit;
        result.reasons.push(why);
        return result;
    }
    let Some(new_text) = new_text else {
        if needs_edit {
            result.status = RewriteStatus::NeedsEdit;
        }
        return result;
    };
    result.status = if needs_edit { RewriteStatus::NeedsEdit } else { RewriteStatus::Rewritten };
    result.edits = plan.edits.len();
    result.patch = Some(unified_diff(path, text, &new_text));
    result.content = Some(new_text);
    result
}

fn too_large(path: &str, text: &str) -> FileRewrite {
    FileRewrite {
        path: path.to_string(),
        status: RewriteStatus::Error,
        reasons: vec![format!("file is {} bytes, over the {MAX_FILE_BYTES}-byte limit; not rewritten", text.len())],
        edits: 0,
        patch: None,
        content: None,
    }
}

const UNVERIFIED: &str = "the rewrite could not be verified, so none is proposed: ";

/// One plan for a change, applied and verified.
struct Attempt {
    plan: Plan,
    /// The rewritten text, when the plan edits something.
    new_text: Option<String>,
    /// Why the edits cannot be proposed (they overlap or do not verify).
    unverified: Option<String>,
}

impl Attempt {
    fn new(analysis: &FileAnalysis, text: &str, language: Language, spec: &ChangeSpec, options: Options) -> Attempt {
        let widened = widening::widened_columns(spec, options.schema);
        let plan = Planner::new(text, language, spec, options.dialect).with_widened(widened).plan(analysis);
        if plan.edits.is_empty() {
            return Attempt { plan, new_text: None, unverified: None };
        }
        let new_text = match apply(text, plan.edits.clone()) {
            Ok(new_text) => new_text,
            Err(why) => return Attempt { plan, new_text: None, unverified: Some(why) },
        };
        match verify::verify(analysis, &new_text, language, spec, options, &plan) {
            Ok(()) => Attempt { plan, new_text: Some(new_text), unverified: None },
            Err(why) => {
                Attempt { plan, new_text: None, unverified: Some(format!("{UNVERIFIED}{why}")) }
            }
        }
    }
}

/// Applies non-overlapping edits to `text`, all at once.
fn apply(text: &str, mut edits: Vec<Edit>) -> Result<String, String> {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    for pair in edits.windows(2) {
        if pair[0].range.end > pair[1].range.start || pair[0].range == pair[1].range {
            return Err(format!("two edits overlap at byte {}; edit by hand", pair[1].range.start));
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in &edits {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.content);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A unified diff of one file, with `a/` and `b/` prefixes as git writes them.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let path = path.trim_start_matches("./");
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
