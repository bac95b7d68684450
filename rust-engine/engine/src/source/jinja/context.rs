//! The SQL rendered around a tag: where a macro call stands (a query, a
//! value, a condition, a clause fragment), and whether rendering is between
//! statements. Each judgement looks back a bounded stretch, so rendering
//! stays linear.

/// The last few hundred bytes of the SQL rendered so far: enough context to
/// judge a tag's position, and a bound that keeps rendering linear.
fn tail(rendered: &str) -> &str {
    let mut start = rendered.len().saturating_sub(512);
    while !rendered.is_char_boundary(start) {
        start += 1;
    }
    &rendered[start..]
}

/// Keywords a value (or a name) follows.
pub(super) const VALUE_KEYWORDS: [&str; 21] =
    ["select", "then", "else", "when", "and", "or", "not", "in", "on", "where", "having", "is", "like", "between", "distinct", "case", "by", "as", "from", "join", "return"];

/// Where a macro call stands, judged from the SQL around it.
pub(super) enum Context {
    /// Where a query goes: `( {{ date_spine(...) }} )`, or after a WITH list.
    Query,
    /// Where a value goes: after `,`, `(`, an operator or a keyword, or before `AS`.
    Expression,
    /// A WHERE clause: a clause fragment followed by `AND` or `OR` where no
    /// condition is open (`from t {{ live_only() }} and x`).
    Condition,
    /// Anything else: a clause fragment (`{{ group_by(3) }}` after a WHERE).
    Clause,
}

/// Where a macro call stands, judged from the SQL `rendered` before it and
/// the template text `after` it.
pub(super) fn macro_context(rendered: &str, after: &str) -> Context {
    let before = significant_tail(rendered);
    let after = after.trim_start();
    let after_lower = after.get(..3).unwrap_or("").to_ascii_lowercase();
    // `( {{ m() }} )` holds a query, unless the parentheses are a call's
    // (`trim({{ split_part(...) }})`).
    if before.ends_with('(') && after.starts_with(')') && !is_call_paren(&before[..before.len() - 1]) {
        return Context::Query;
    }
    if (after.is_empty() || after.starts_with(';')) && top_level_is_cte_list(rendered) {
        return Context::Query;
    }
    let last_word = before.rsplit(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_ascii_lowercase();
    let operator = before.ends_with([',', '(', '=', '<', '>', '+', '-', '*', '/', '|']);
    let keyword = before.to_ascii_lowercase().ends_with(&last_word) && VALUE_KEYWORDS.contains(&last_word.as_str());
    if operator || keyword || after_lower == "as " {
        Context::Expression
    } else if starts_with_connective(after) && !condition_open(before) {
        Context::Condition
    } else {
        Context::Clause
    }
}

/// True when `text`, past blanks and template tags, starts with AND or OR.
fn starts_with_connective(mut text: &str) -> bool {
    loop {
        text = text.trim_start();
        let close = if text.starts_with("{%") {
            "%}"
        } else if text.starts_with("{#") {
            "#}"
        } else {
            break;
        };
        match text.find(close) {
            Some(i) => text = &text[i + 2..],
            None => return false,
        }
    }
    let word: String = text.chars().take_while(|c| c.is_alphabetic()).collect();
    word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or")
}

/// True when the last clause of `before` at its parenthesis depth is a
/// condition (WHERE, ON, HAVING, QUALIFY), looked for in its tail.
fn condition_open(before: &str) -> bool {
    let mut depth = 0usize;
    for word in tail(before).rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '(' || c == ')')) {
        for c in word.chars().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 0 => return false,
                '(' => depth -= 1,
                _ => {}
            }
        }
        if depth == 0 {
            match word.to_ascii_lowercase().as_str() {
                "where" | "on" | "having" | "qualify" => return true,
                "select" | "from" | "join" | "by" => return false,
                _ => {}
            }
        }
    }
    false
}

/// True when a `(` after `before` opens a function call's arguments: a name
/// that is not a keyword stands before it.
fn is_call_paren(before: &str) -> bool {
    let word = before.trim_end().rsplit(|c: char| !c.is_alphanumeric() && c != '_' && c != '.').next().unwrap_or("");
    !word.is_empty()
        && before.trim_end().len() == before.len()
        && !matches!(
            word.to_ascii_lowercase().as_str(),
            "as" | "from" | "join" | "in" | "exists" | "union" | "all" | "intersect" | "except" | "lateral" | "select" | "where" | "and" | "or" | "not" | "on"
        )
}

/// `rendered` without trailing blank and comment-only lines, and without a
/// trailing `--` comment.
pub(super) fn significant_tail(rendered: &str) -> &str {
    let mut text = tail(rendered).trim_end();
    while !text.is_empty() {
        let line_start = text.rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..];
        match line.find("--") {
            None => return text,
            Some(_) if line.trim_start().starts_with("--") => text = text[..line_start].trim_end(),
            Some(i) => return text[..line_start + i].trim_end(),
        }
    }
    text
}

/// True when the SQL so far is `WITH a AS (...), b AS (...)` with no query
/// after the list yet.
fn top_level_is_cte_list(rendered: &str) -> bool {
    let mut depth = 0usize;
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = rendered.chars().peekable();
    let mut quote = false;
    while let Some(c) = chars.next() {
        if quote {
            quote = c != '\'';
            continue;
        }
        match c {
            '\'' => quote = true,
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut star = false;
                for c in chars.by_ref() {
                    if star && c == '/' {
                        break;
                    }
                    star = c == '*';
                }
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 && (c.is_alphanumeric() || c == '_') => {
                word.push(c.to_ascii_lowercase());
                continue;
            }
            _ => {}
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.first().is_some_and(|w| w == "with") && !words.iter().any(|w| w == "select")
}

/// True when `rendered` ends between statements: nothing but comments and
/// blank lines since the start or the last `;`.
pub(super) fn at_statement_start(rendered: &str) -> bool {
    // Looks back a few KiB at most, so rendering stays linear.
    let mut floor = rendered.len().saturating_sub(4096);
    while !rendered.is_char_boundary(floor) {
        floor += 1;
    }
    let mut text = rendered.trim_end();
    loop {
        if text.is_empty() || text.ends_with(';') {
            return true;
        }
        if text.len() <= floor {
            return false;
        }
        if text.ends_with("*/") {
            match text[floor..].rfind("/*") {
                Some(i) => text = text[..floor + i].trim_end(),
                None => return false,
            }
            continue;
        }
        let line_start = text[floor..].rfind('\n').map_or(floor, |i| floor + i + 1);
        let line = text[line_start..].trim_start();
        if !(line.starts_with("--") || line.starts_with('#')) || line_start == floor && floor > 0 {
            return false;
        }
        text = text[..line_start].trim_end();
    }
}
