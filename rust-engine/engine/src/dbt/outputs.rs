//! Which output columns of a dbt model a change renames. With output names
//! kept (the default) none are: `select order_id` becomes `select order_key
//! AS order_id`. With `"preserve_output_names": false` a model that passes a
//! renamed column through outputs it under the new name, and the model's own
//! property entry (`columns:`) and the expected rows of its unit tests must
//! follow. Only the model's SQL says which columns it passes through, so
//! the caller hands each model's rewrite here.

use std::collections::BTreeMap;

use crate::{analyze, FileRewrite, Language, Options};

/// Each model's output columns that the change renames, old name to new,
/// read from the model's SQL before and after its rewrite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenamedOutputs {
    /// Lowercase model name → its renamed outputs; models whose SQL was
    /// read are all here, with none renamed when none is.
    models: BTreeMap<String, Vec<(String, String)>>,
}

impl RenamedOutputs {
    /// Records the model `name` (its file's name without `.sql`) from its
    /// text and the rewrite of that text for the change: the outputs of the
    /// file's last statement (the model's query) before and after, position
    /// by position. A rewrite that proposes no new text renames nothing; one
    /// whose outputs cannot be paired leaves the model unknown.
    pub fn add_model(&mut self, name: &str, language: Language, text: &str, rewrite: &FileRewrite, options: Options) {
        let Some(content) = &rewrite.content else {
            self.models.insert(name.to_ascii_lowercase(), Vec::new());
            return;
        };
        let outputs = |text: &str| {
            let analysis = analyze(&rewrite.path, language, text, options);
            analysis.statements.last().map(|s| s.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>())
        };
        let (Some(before), Some(after)) = (outputs(text), outputs(content)) else {
            return;
        };
        if before.len() != after.len() {
            return;
        }
        let renamed = before
            .into_iter()
            .zip(after)
            .filter_map(|(b, a)| match (b, a) {
                (Some(b), Some(a)) if !b.eq_ignore_ascii_case(&a) => Some((b, a)),
                _ => None,
            })
            .collect();
        self.models.insert(name.to_ascii_lowercase(), renamed);
    }

    /// The renamed outputs of `model`, or `None` when its SQL was not read.
    pub(crate) fn of(&self, model: &str) -> Option<&[(String, String)]> {
        self.models.get(&model.to_ascii_lowercase()).map(Vec::as_slice)
    }
}
