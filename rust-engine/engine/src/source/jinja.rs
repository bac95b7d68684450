//! Jinja-templated SQL (dbt models, macros-free SQL templates), analysed
//! without dbt: `{{ ref('m') }}` becomes the table `m`, `{{ source('s', 't') }}`
//! the table `s.t`, other expressions placeholders, and the bodies of `if` and
//! `for` blocks are all kept, so no branch's references are missed.

use super::{Fragment, FragmentBuilder};

/// True when `text` holds Jinja tags.
pub fn is_templated(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Block tags whose bodies are definitions, not SQL of this model.
const SKIPPED_BLOCKS: [(&str, &str); 6] = [
    ("macro", "endmacro"),
    ("call", "endcall"),
    ("set", "endset"),
    ("docs", "enddocs"),
    ("test", "endtest"),
    ("materialization", "endmaterialization"),
];

pub fn render(text: &str) -> Fragment {
    let mut out = FragmentBuilder::default();
    let mut pos = 0;
    // Stack of end tags of skipped blocks we are inside.
    let mut skipping: Vec<&str> = Vec::new();
    while let Some(found) = next_tag(text, pos) {
        if skipping.is_empty() {
            out.verbatim(&text[pos..found], pos);
        }
        let open = &text[found..found + 2];
        let close = match open {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        let Some(end) = find_close(text, found + 2, close) else {
            // An unclosed tag: keep the rest as text, the parser will say where.
            if skipping.is_empty() {
                out.verbatim(&text[found..], found);
            }
            return out.finish();
        };
        let (inner_start, inner) = trim_markers(text, found + 2, end);
        pos = end + 2;
        match open {
            "{{" if skipping.is_empty() => expression(&mut out, inner, inner_start),
            "{%" => {
                let keyword = inner.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
                if let Some(end_tag) = skipping.last() {
                    if keyword == *end_tag {
                        skipping.pop();
                    } else if let Some((_, end)) = block(keyword, inner) {
                        skipping.push(end);
                    }
                    continue;
                }
                if keyword == "raw" {
                    let body_end = find_tag(text, pos, "endraw").unwrap_or((text.len(), text.len()));
                    out.verbatim(&text[pos..body_end.0], pos);
                    pos = body_end.1;
                } else if let Some((_, end)) = block(keyword, inner) {
                    skipping.push(end);
                }
            }
            _ => {}
        }
    }
    if skipping.is_empty() {
        out.verbatim(&text[pos..], pos);
    }
    out.finish()
}

/// The skipped block `keyword` opens, if any. `{% set x = 1 %}` is a
/// statement; only `{% set x %}...{% endset %}` opens a block.
fn block<'a>(keyword: &str, inner: &str) -> Option<(&'a str, &'a str)> {
    SKIPPED_BLOCKS
        .iter()
        .find(|(start, _)| *start == keyword)
        .filter(|(start, _)| *start != "set" || !inner.contains('='))
        .copied()
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
            None if text[i..].starts_with(close) => return Some(i),
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
        _ if !call.is_empty() && call.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') && !args.is_empty() => {
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

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
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
                let Some(len) = expr[start..].find(q as char) else { break };
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
    fn config_disappears_and_blocks_keep_their_bodies() {
        assert_eq!(
            sql("{{ config(materialized='incremental') }}\nselect a from t\n{% if is_incremental() %}where b > 1{% endif %}"),
            "\nselect a from t\nwhere b > 1"
        );
    }

    #[test]
    fn macros_and_comments_are_skipped_and_unknown_expressions_become_placeholders() {
        assert_eq!(
            sql("{# note #}{% macro m(x) %}select {{ x }}{% endmacro %}select {{ var('col') }} from {{ this }}"),
            "select __ripple_1 from __ripple_2"
        );
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
