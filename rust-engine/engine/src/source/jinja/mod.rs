//! Jinja-templated SQL (dbt models, SQL templates), analysed without dbt:
//! `{{ ref('m') }}` becomes the table `m`, `{{ source('s', 't') }}` the table
//! `s.t`, other expressions placeholders; `for` bodies are kept once and the
//! first branch of each `if` is rendered (the others are scanned for names).

mod context;

use std::ops::Range;

use context::{at_statement_start, macro_context, significant_tail, Context, VALUE_KEYWORDS};

use super::{Fragment, FragmentBuilder};

/// True when `text` holds Jinja tags.
pub(super) fn is_templated(text: &str) -> bool {
    // A Jinja comment alone (`{# ... #}`) makes a template too: SQL has no `{#`.
    text.contains("{{") || text.contains("{%") || text.find("{#").is_some_and(|at| text[at + 2..].contains("#}"))
}

/// Block tags whose bodies are definitions, not SQL of this model.
const SKIPPED_BLOCKS: [(&str, &str); 6] = [("macro", "endmacro"), ("call", "endcall"), ("set", "endset"), ("docs", "enddocs"), ("test", "endtest"), ("materialization", "endmaterialization")];

/// Renders a template to SQL. Of each `if`/`elif`/`else` chain only the
/// first branch is rendered, so the SQL parses; the other branches' ranges
/// are returned as the fragment's alternates, which the analysis scans for
/// names so their references are not lost.
pub(super) fn render(text: &str) -> Fragment {
    render_with(text, Macros::Placeholders)
}

/// How calls to unknown macros are rendered.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Macros {
    /// As placeholder expressions (`{{ cents_to_dollars('amount') }}`
    /// computes a value).
    Placeholders,
    /// As nothing: for templates whose macros expand to clause fragments
    /// (`{{ dbt_utils.group_by(3) }}`, optional column lists). Their
    /// name-like string arguments become alternates, scanned for names.
    Dropped,
}

pub(super) fn render_with(text: &str, macros: Macros) -> Fragment {
    Renderer { text, macros, out: FragmentBuilder::default(), skipping: Vec::new(), branches: Vec::new(), alternate: None, alternates: Vec::new(), loops: 0, set_statements: 0 }.render()
}

/// Renders one template, tag by tag.
struct Renderer<'t> {
    text: &'t str,
    macros: Macros,
    out: FragmentBuilder,
    /// Stack of end tags of skipped blocks (macro definitions, ...) we are inside.
    skipping: Vec<&'static str>,
    /// One entry per open `if`.
    branches: Vec<Branch>,
    /// The open alternate branch: its `if` depth and where it starts.
    alternate: Option<(usize, usize)>,
    alternates: Vec<Range<usize>>,
    /// Open `for` loops.
    loops: usize,
    /// Open `set` blocks rendered as statements of their own.
    set_statements: usize,
}

impl Renderer<'_> {
    fn render(mut self) -> Fragment {
        let text = self.text;
        let mut pos = 0;
        while let Some(found) = next_tag(text, pos) {
            if self.emitting() {
                self.out.verbatim(&text[pos..found], pos);
            }
            let open = &text[found..found + 2];
            let close = match open {
                "{{" => "}}",
                "{%" => "%}",
                _ => "#}",
            };
            // A comment is prose: its quotes (`we're`) open no strings.
            let end = if open == "{#" { text[found + 2..].find(close).map(|e| found + 2 + e) } else { find_close(text, found + 2, close) };
            let Some(end) = end else {
                // An unclosed tag: keep the rest as text, the parser will say where.
                if self.emitting() {
                    self.out.verbatim(&text[found..], found);
                }
                return self.out.finish_with(self.alternates);
            };
            let (inner_start, inner) = trim_markers(text, found + 2, end);
            pos = end + 2;
            match open {
                "{{" if self.emitting() => self.expression_tag(found, pos, inner, inner_start),
                "{%" => pos = self.statement_tag(found, pos, inner),
                _ => {}
            }
        }
        if self.emitting() {
            self.out.verbatim(&text[pos..], pos);
        }
        self.out.finish_with(self.alternates)
    }

    /// Whether the text at hand is rendered: outside skipped blocks and in
    /// the rendered branch of every open `if`.
    fn emitting(&self) -> bool {
        self.skipping.is_empty() && self.branches.iter().all(|b| *b == Branch::Rendered)
    }

    /// `{{ inner }}` at `found`, the template going on at `pos`.
    fn expression_tag(&mut self, found: usize, pos: usize, inner: &str, inner_start: usize) {
        if is_table_expression(inner) {
            expression(&mut self.out, inner, inner_start);
        } else if at_statement_start(self.out.sql()) {
            // A macro standing for statements (`{{ run_checks() }}`), or
            // for the first CTEs of one when a `,` follows it.
            if self.text[pos..].trim_start().starts_with(',') {
                self.out.synthetic("with ", found);
                self.out.placeholder(found);
                self.out.synthetic(" as (select 1)", found);
            }
            self.alternates.extend(name_args(inner, inner_start));
        } else if self.macros == Macros::Dropped && is_call(inner) && !matches!(call_name(inner), "var" | "env_var" | "config") {
            match macro_context(self.out.sql(), &self.text[pos..]) {
                Context::Query => {
                    self.out.synthetic("select * from ", found);
                    self.out.placeholder(found);
                }
                Context::Expression => expression(&mut self.out, inner, inner_start),
                Context::Condition => {
                    self.out.synthetic(" where ", found);
                    self.out.placeholder(found);
                }
                Context::Clause => self.alternates.extend(name_args(inner, inner_start)),
            }
        } else {
            expression(&mut self.out, inner, inner_start);
        }
    }

    /// `{% inner %}` at `found`, the template going on at `pos`; returns
    /// where rendering goes on (past a `raw` block's body).
    fn statement_tag(&mut self, found: usize, pos: usize, inner: &str) -> usize {
        let keyword = inner.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
        if let Some(end_tag) = self.skipping.last() {
            if keyword == *end_tag {
                self.skipping.pop();
            } else if let Some((_, end)) = block(keyword, inner) {
                self.skipping.push(end);
            }
            return pos;
        }
        match keyword {
            // The one iteration a loop body is rendered for is its
            // first and its last: `{% if not loop.last %},{% endif %}`
            // renders nothing.
            "if" if self.loops > 0 && is_false_in_one_iteration(&inner[2..]) => {
                if self.alternate.is_none() && self.emitting() {
                    self.alternate = Some((self.branches.len() + 1, pos));
                }
                self.branches.push(Branch::Waiting);
            }
            "if" => self.branches.push(Branch::Rendered),
            "elif" | "else" | "endif" => self.branch(keyword, found, pos),
            "for" => self.loops += 1,
            "endfor" => self.loops = self.loops.saturating_sub(1),
            // A `set` block holding a query (handed to a macro, as in
            // `{{ get_scd_sql(source_sql) }}`) is a statement of its
            // own between statements; inside one, its names are scanned.
            "set" if block(keyword, inner).is_some() && starts_query(&self.text[pos..]) => {
                if at_statement_start(self.out.sql()) {
                    self.set_statements += 1;
                } else {
                    if self.emitting() {
                        self.alternates.push(pos..find_tag(self.text, pos, "endset").map_or(self.text.len(), |(start, _)| start));
                    }
                    self.skipping.push("endset");
                }
            }
            "endset" if self.set_statements > 0 => {
                self.set_statements -= 1;
                if self.emitting() {
                    self.out.synthetic(";", found);
                }
            }
            "raw" => {
                let body_end = find_tag(self.text, pos, "endraw").unwrap_or((self.text.len(), self.text.len()));
                if self.emitting() {
                    self.out.verbatim(&self.text[pos..body_end.0], pos);
                }
                return body_end.1;
            }
            _ => {
                if let Some((_, end)) = block(keyword, inner) {
                    self.skipping.push(end);
                }
            }
        }
        pos
    }

    /// `{% elif %}`, `{% else %}` or `{% endif %}` at `found`: the branch
    /// that is rendered moves on, and the ones that are not become
    /// alternates.
    fn branch(&mut self, keyword: &str, found: usize, pos: usize) {
        let depth = self.branches.len();
        if let Some((at, start)) = self.alternate {
            if at == depth {
                self.alternates.push(start..found);
                self.alternate = None;
            }
        }
        if keyword == "endif" {
            self.branches.pop();
        } else if let Some(last) = self.branches.last_mut() {
            if *last == Branch::Waiting {
                *last = Branch::Rendered;
            } else {
                *last = Branch::Done;
                if self.alternate.is_none() && self.branches[..depth - 1].iter().all(|b| *b == Branch::Rendered) {
                    self.alternate = Some((depth, pos));
                }
            }
        }
    }
}

/// Where rendering is in one `if`/`elif`/`else` chain.
#[derive(Clone, Copy, PartialEq)]
enum Branch {
    /// In the branch that is rendered.
    Rendered,
    /// In a first branch known to be false: the next one is rendered.
    Waiting,
    /// Past the rendered branch.
    Done,
}

/// True for an `if` condition that is false in a loop's only rendered
/// iteration (which is both the first and the last).
fn is_false_in_one_iteration(condition: &str) -> bool {
    matches!(condition.split_whitespace().collect::<Vec<_>>()[..], ["not", "loop.last" | "loop.first"])
}

/// True when `text` starts with a query (after blanks).
fn starts_query(text: &str) -> bool {
    let word: String = text.trim_start().trim_start_matches('(').trim_start().chars().take_while(|c| c.is_alphabetic()).collect();
    matches!(word.to_ascii_lowercase().as_str(), "select" | "with")
}

fn is_table_expression(expr: &str) -> bool {
    matches!(call_name(expr), "ref" | "source" | "this")
}

fn call_name(expr: &str) -> &str {
    expr.split('(').next().unwrap_or("").trim()
}

fn is_call(expr: &str) -> bool {
    let name = call_name(expr);
    expr.contains('(') && !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// The file ranges of a call's string arguments that look like names.
fn name_args(expr: &str, at: usize) -> Vec<Range<usize>> {
    string_args(expr, at).into_iter().filter(|(text, _)| is_name(text)).map(|(text, host)| host..host + text.len()).collect()
}

/// The skipped block `keyword` opens, if any. `{% set x = 1 %}` is a
/// statement; only `{% set x %}...{% endset %}` opens a block.
fn block<'a>(keyword: &str, inner: &str) -> Option<(&'a str, &'a str)> {
    SKIPPED_BLOCKS.iter().find(|(start, _)| *start == keyword).filter(|(start, _)| *start != "set" || !inner.contains('=')).copied()
}

fn next_tag(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(offset) = text[i..].find('{') {
        let at = i + offset;
        if matches!(bytes.get(at + 1), Some(b'{' | b'%' | b'#')) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The offset of `close`, skipping quoted strings inside the tag.
fn find_close(text: &str, from: usize, close: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            // Bytes, not `text[i..]`: `i` may be inside a multi-byte character.
            None if bytes[i..].starts_with(close.as_bytes()) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

/// Finds `{% name %}` from `from`: the offsets of its start and just past it.
fn find_tag(text: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let mut pos = from;
    while let Some(offset) = text[pos..].find("{%") {
        let found = pos + offset;
        let end = find_close(text, found + 2, "%}")?;
        let (_, inner) = trim_markers(text, found + 2, end);
        if inner == name {
            return Some((found, end + 2));
        }
        pos = end + 2;
    }
    None
}

/// A tag's inner text without whitespace-control markers and spaces.
fn trim_markers(text: &str, start: usize, end: usize) -> (usize, &str) {
    let raw = &text[start..end];
    let trimmed_start = raw.trim_start_matches(['-', '+']).trim_start();
    let offset = start + (raw.len() - trimmed_start.len());
    (offset, trimmed_start.trim_end().trim_end_matches(['-', '+']).trim_end())
}

/// `{{ expression }}`: tables for `ref` and `source`, nothing for `config`,
/// a placeholder for anything else. A macro call's string arguments that
/// look like names (`cents_to_dollars('amount')`) are usually columns: they
/// become the placeholder's arguments, so their references are not lost.
fn expression(out: &mut FragmentBuilder, expr: &str, at: usize) {
    let before = significant_tail(out.sql());
    let last_word = before.rsplit(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_ascii_lowercase();
    // `then{{ m() }}`: a keyword is not the start of a name built at run time.
    if out.sql().ends_with(|c: char| c.is_alphanumeric()) && VALUE_KEYWORDS.contains(&last_word.as_str()) {
        out.synthetic(" ", at);
    }
    // `x IN {{ var('ids') }}`: the value is a parenthesized list.
    if last_word == "in" {
        out.synthetic("(", at);
        out.placeholder(at);
        out.synthetic(")", at);
        return;
    }
    let call = expr.split('(').next().unwrap_or("").trim();
    let args = string_args(expr, at);
    match call {
        "config" => {}
        // Values, not columns.
        "var" | "env_var" => out.placeholder(at),
        "ref" if !args.is_empty() => {
            // ref('model') or ref('package', 'model'); versions are keyword args.
            let (text, host) = args[args.len().min(2) - 1];
            out.verbatim(text, host);
        }
        "source" if args.len() == 2 => {
            out.verbatim(args[0].0, args[0].1);
            out.synthetic(".", args[1].1);
            out.verbatim(args[1].0, args[1].1);
        }
        // `AS {{ slugify(...) }}`: an alias, a name.
        _ if last_word == "as" => out.placeholder(at),
        _ if is_call(expr) && !args.is_empty() => {
            let names: Vec<(&str, usize)> = args.into_iter().filter(|(text, _)| is_name(text)).collect();
            out.placeholder(at);
            out.synthetic("(", at);
            for (i, (text, host)) in names.iter().enumerate() {
                if i > 0 {
                    out.synthetic(", ", *host);
                }
                out.verbatim(text, *host);
            }
            out.synthetic(")", at);
        }
        _ => out.placeholder(at),
    }
}

/// A name or a qualified one (`'orders.amount'` in `surrogate_key([...])`).
fn is_name(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The positional string literal arguments of a call, with their file offsets.
fn string_args(expr: &str, at: usize) -> Vec<(&str, usize)> {
    let Some(open) = expr.find('(') else {
        return Vec::new();
    };
    let bytes = expr.as_bytes();
    let mut args = Vec::new();
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                let start = i + 1;
                let Some(len) = expr[start..].find(q as char) else {
                    break;
                };
                // Keyword arguments (`version='2'`) are not positional.
                let before = expr[..i].trim_end();
                if !before.ends_with('=') {
                    args.push((&expr[start..start + len], at + start));
                }
                i = start + len + 1;
            }
            b')' => break,
            _ => i += 1,
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> String {
        render(text).sql
    }

    #[test]
    fn ref_and_source_become_tables_mapped_to_their_names() {
        let text = "select * from {{ ref('stg_orders') }} o join {{ source('shop', 'customers') }} c";
        let fragment = render(text);
        assert_eq!(fragment.sql, "select * from stg_orders o join shop.customers c");
        let at = fragment.sql.find("stg_orders").unwrap();
        assert_eq!(&text[fragment.map.host_offset(at)..][..10], "stg_orders");
        let at = fragment.sql.find("customers").unwrap();
        assert_eq!(&text[fragment.map.host_offset(at)..][..9], "customers");
    }

    #[test]
    fn a_comment_alone_makes_a_template() {
        let text = "{# we're {{ is_unique(['id']) }}\n#}\n#fail\nselect a from t";
        assert!(is_templated(text));
        assert_eq!(sql(text), "\n#fail\nselect a from t");
        assert!(!is_templated("select '{#' from t"));
    }

    #[test]
    fn config_disappears_and_blocks_keep_their_bodies() {
        assert_eq!(sql("{{ config(materialized='incremental') }}\nselect a from t\n{% if is_incremental() %}where b > 1{% endif %}"), "\nselect a from t\nwhere b > 1");
    }

    #[test]
    fn only_the_first_branch_is_rendered_and_the_others_are_alternates() {
        let text = "select a from t where {% if x %}b > 1{% elif y %}c > 2{% else %}{% if z %}d{% endif %} > 3{% endif %}";
        let fragment = render(text);
        assert_eq!(fragment.sql, "select a from t where b > 1");
        let alternates: Vec<&str> = fragment.alternates.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(alternates, ["c > 2", "{% if z %}d{% endif %} > 3"]);
    }

    #[test]
    fn macros_and_comments_are_skipped_and_unknown_expressions_become_placeholders() {
        assert_eq!(sql("{# note #}{% macro m(x) %}select {{ x }}{% endmacro %}select {{ var('col') }} from {{ this }}"), "select __ripple_1 from __ripple_2");
    }

    #[test]
    fn a_macro_standing_for_statements_is_not_rendered() {
        let text = "#fail\n{{ row_count_within('amount', days=7) }}\n;\nselect a from {{ ref('t') }}";
        let fragment = render(text);
        assert_eq!(fragment.sql, "#fail\n\n;\nselect a from t");
        assert_eq!(&text[fragment.alternates[0].clone()], "amount");
    }

    #[test]
    fn a_macro_before_a_comma_stands_for_the_first_ctes() {
        assert_eq!(sql("{{ simple_cte([('a', 'b')]) }}\n, x AS (select 1)\nselect * from x"), "with __ripple_1 as (select 1)\n, x AS (select 1)\nselect * from x");
    }

    #[test]
    fn macros_are_rendered_by_where_they_stand() {
        let text = "with a as (\n  -- spine\n  {{ date_spine('day') }}\n), b as (select 1)\n\
                    select id, {{ cents('amount') }} as usd {{ fill_columns('extra_col') }}\n\
                    from t where x = {{ today() }} {{ dbt_utils.group_by(2) }}";
        let fragment = render_with(text, Macros::Dropped);
        assert_eq!(
            fragment.sql,
            "with a as (\n  -- spine\n  select * from __ripple_1\n), b as (select 1)\n\
             select id, __ripple_2(amount) as usd \nfrom t where x = __ripple_3 "
        );
        let names: Vec<&str> = fragment.alternates.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(names, ["extra_col"]);
        assert_eq!(render_with("with x as (select 1)\n{{ dbt_audit(cte_ref='x') }}", Macros::Dropped).sql, "with x as (select 1)\nselect * from __ripple_1");
    }

    #[test]
    fn a_macro_in_a_call_s_parentheses_is_a_value_not_a_query() {
        assert_eq!(render_with("select trim({{ split_part('c', 1) }}) as x", Macros::Dropped).sql, "select trim(__ripple_1(c)) as x");
        assert_eq!(render_with("SELECT\n  {{ star('t') }}\nFROM t", Macros::Dropped).sql, "SELECT\n  __ripple_1(t)\nFROM t");
    }

    #[test]
    fn a_macro_after_a_commented_cte_list_is_the_query() {
        assert_eq!(render_with("/* note */\nwith x as (select 1)\n{{ audit() }}", Macros::Dropped).sql, "/* note */\nwith x as (select 1)\nselect * from __ripple_1");
    }

    #[test]
    fn qualified_names_in_macro_arguments_are_kept() {
        assert_eq!(sql("select {{ surrogate_key(['o.id', 'c.name']) }} as k"), "select __ripple_1(o.id, c.name) as k");
    }

    #[test]
    fn a_clause_macro_before_and_stands_for_a_where_clause() {
        assert_eq!(render_with("select a from t\n{{ live_only() }}\n{% if x %} and b{% endif %}", Macros::Dropped).sql, "select a from t\n where __ripple_1\n and b");
        assert_eq!(render_with("select a from t where c\n{{ extra() }} and b", Macros::Dropped).sql, "select a from t where c\n and b");
    }

    #[test]
    fn loop_bodies_are_rendered_once_as_first_and_last_iteration() {
        let text = "select x like any ({% for m in ms %}'{{ m }}'{% if not loop.last %},{% endif %}{% endfor %}) from t";
        let fragment = render(text);
        assert_eq!(fragment.sql, "select x like any ('__ripple_1') from t");
        assert_eq!(&text[fragment.alternates[0].clone()], ",");
    }

    #[test]
    fn set_blocks_holding_queries() {
        let text = "{% set q %}select a from {{ ref('t') }}{% endset %}\n{{ run_scd(q) }}";
        assert_eq!(sql(text), "select a from t;\n");
        let text = "with x as (\n{% set q %}select b from u{% endset %}\nselect 1)\nselect * from x";
        let fragment = render(text);
        assert_eq!(fragment.sql, "with x as (\n\nselect 1)\nselect * from x");
        assert_eq!(&text[fragment.alternates[0].clone()], "select b from u");
    }

    #[test]
    fn keywords_before_expressions_and_aliases_from_macros() {
        assert_eq!(sql("select case when a then{{ key(['a']) }} end as {{ slugify('x') }} from t"), "select case when a then __ripple_1(a) end as __ripple_2 from t");
    }

    #[test]
    fn versioned_and_packaged_refs() {
        assert_eq!(sql("from {{ ref('pkg', 'm', version=2) }}"), "from m");
        assert_eq!(sql("from {{- ref(\"m\") -}}"), "from m");
    }

    #[test]
    fn raw_blocks_are_copied_and_unclosed_tags_kept() {
        assert_eq!(sql("{% raw %}{{ x }}{% endraw %} y"), "{{ x }} y");
        assert_eq!(sql("select {{ oops"), "select {{ oops");
    }
}
