//! The inputs Ripple reads: plain SQL files, Jinja-templated SQL (dbt), and
//! SQL inside Python, Java and Scala string literals. Each becomes one or more
//! [`Fragment`]s of plain SQL with a [`SourceMap`] back to the file.

mod host;
mod jinja;

use jinja::Macros;

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The language of a consumer file, chosen by its extension and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Language {
    Sql,
    Dbt,
    Python,
    Java,
    Scala,
}

impl Language {
    /// The language of a file named `path`, or `None` when Ripple does not
    /// read files of its kind. `.sql` files holding Jinja tags are `Dbt`.
    pub fn detect(path: &str, text: &str) -> Option<Language> {
        let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        Some(match extension.as_str() {
            "sql" if jinja::is_templated(text) => Language::Dbt,
            "sql" => Language::Sql,
            "py" => Language::Python,
            "java" => Language::Java,
            "scala" | "sc" => Language::Scala,
            _ => return None,
        })
    }
}

/// A piece of SQL found in a file, with the way back to the file.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub sql: String,
    pub map: SourceMap,
    /// Placeholders stand where the host code computes part of the SQL
    /// (interpolations, concatenated variables, Jinja expressions).
    pub placeholders: usize,
    /// File ranges of template branches that were not rendered (`{% else %}`
    /// ...): the analysis scans them for names.
    pub alternates: Vec<Range<usize>>,
}

/// Where each byte of a fragment's SQL comes from in the file.
///
/// Text copied verbatim maps byte for byte; text the extraction made up
/// (placeholders, decoded escapes) maps to the start of what it replaced.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    sql: usize,
    host: usize,
    len: usize,
    verbatim: bool,
}

impl SourceMap {
    /// The identity map of a file that is SQL itself.
    pub fn identity(len: usize) -> Self {
        let mut map = SourceMap::default();
        map.push(0, 0, len, true);
        map
    }

    fn push(&mut self, sql: usize, host: usize, len: usize, verbatim: bool) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segments.last_mut() {
            if last.verbatim && verbatim && last.sql + last.len == sql && last.host + last.len == host {
                last.len += len;
                return;
            }
        }
        self.segments.push(Segment { sql, host, len, verbatim });
    }

    /// The file offset of the SQL byte at `offset`.
    pub fn host_offset(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|s| s.sql <= offset);
        if i == 0 {
            return self.segments.first().map_or(offset, |s| s.host);
        }
        let s = self.segments[i - 1];
        if s.verbatim {
            s.host + (offset - s.sql).min(s.len)
        } else {
            s.host
        }
    }

    /// True when every byte of `range` was copied verbatim from one
    /// contiguous stretch of the file, so an edit there can be made in the file.
    pub fn is_verbatim(&self, range: Range<usize>) -> bool {
        let i = self.segments.partition_point(|s| s.sql <= range.start);
        i > 0 && {
            let s = self.segments[i - 1];
            s.verbatim && range.end <= s.sql + s.len
        }
    }
}

/// Builds a fragment's SQL and its source map together.
#[derive(Default)]
pub(crate) struct FragmentBuilder {
    sql: String,
    map: SourceMap,
    placeholders: usize,
}

impl FragmentBuilder {
    /// Copies `text`, found at `host` in the file, verbatim.
    pub fn verbatim(&mut self, text: &str, host: usize) {
        self.map.push(self.sql.len(), host, text.len(), true);
        self.sql.push_str(text);
    }

    /// Adds text that stands for something else at `host` (a decoded escape).
    pub fn synthetic(&mut self, text: &str, host: usize) {
        self.map.push(self.sql.len(), host, text.len(), false);
        self.sql.push_str(text);
    }

    /// Adds a placeholder identifier for a value the host code computes.
    pub fn placeholder(&mut self, host: usize) {
        self.placeholders += 1;
        let name = format!("{PLACEHOLDER_PREFIX}{}", self.placeholders);
        self.synthetic(&name, host);
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }

    pub fn finish(self) -> Fragment {
        self.finish_with(Vec::new())
    }

    pub fn finish_with(self, alternates: Vec<Range<usize>>) -> Fragment {
        Fragment { sql: self.sql, map: self.map, placeholders: self.placeholders, alternates }
    }
}

/// Identifiers starting with this stand for values the host code computes;
/// analysis never reports them as tables or columns.
pub const PLACEHOLDER_PREFIX: &str = "__ripple_";

/// The rendering of `fragment`, a fragment of `text`, that reads best, with
/// what `read` makes of it. A dbt model whose first rendering leaves
/// statements unread (`unread` counts them) is rendered again with unknown
/// macros dropped instead of replaced by placeholders, for macros that
/// expand to clause fragments (`{{ dbt_utils.group_by(3) }}`); the rendering
/// with fewer unread statements wins.
pub(crate) fn best_rendering<T>(language: Language, text: &str, fragment: Fragment, read: impl Fn(&Fragment) -> T, unread: impl Fn(&T) -> usize) -> (Fragment, T) {
    let found = read(&fragment);
    if language != Language::Dbt || unread(&found) == 0 {
        return (fragment, found);
    }
    let second = jinja::render_with(text, Macros::Dropped);
    let again = read(&second);
    if unread(&again) < unread(&found) {
        (second, again)
    } else {
        (fragment, found)
    }
}

/// Splits a consumer file into SQL fragments.
pub fn fragments(language: Language, text: &str) -> Vec<Fragment> {
    match language {
        Language::Sql => vec![Fragment { sql: text.to_string(), map: SourceMap::identity(text.len()), placeholders: 0, alternates: Vec::new() }],
        Language::Dbt => vec![jinja::render(text)],
        Language::Python => host::python(text),
        Language::Java => host::java(text),
        Language::Scala => host::scala(text),
    }
}
