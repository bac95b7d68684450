//! The unified diff of a rewrite, as `git apply` takes it.
//!
//! A rewrite's edits stay within lines (a name renamed, an alias added), so
//! the rewritten file usually has the same lines as the original, some of
//! them changed. Then the diff is those lines, found in one pass: a general
//! diff (`similar`'s Myers) costs time in the product of the file's length
//! and the number of changes, minutes for a file of 16,000 edited
//! statements. Files whose line count changes take `similar`'s diff. Both
//! write the same format: three lines of context, hunks closer than twice
//! that merged, `\ No newline at end of file` where it applies.

const CONTEXT: usize = 3;

/// A unified diff of one file, with `a/` and `b/` prefixes as git writes them.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let path = path.trim_start_matches("./");
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    if old_lines.len() != new_lines.len() {
        return similar::TextDiff::from_lines(old, new).unified_diff().context_radius(CONTEXT).header(&format!("a/{path}"), &format!("b/{path}")).to_string();
    }
    let changed: Vec<usize> = (0..old_lines.len()).filter(|&i| old_lines[i] != new_lines[i]).collect();
    let Some(&first) = changed.first() else {
        return String::new();
    };
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    // Hunks: runs of changed lines whose gaps are at most twice the context.
    let (mut start, mut end) = (first, first);
    for &i in &changed[1..] {
        if i - end - 1 > 2 * CONTEXT {
            hunk(&mut out, &old_lines, &new_lines, start, end);
            start = i;
        }
        end = i;
    }
    hunk(&mut out, &old_lines, &new_lines, start, end);
    out
}

/// One hunk: lines `first..=last` with their context.
fn hunk(out: &mut String, old: &[&str], new: &[&str], first: usize, last: usize) {
    let from = first.saturating_sub(CONTEXT);
    let to = (last + 1 + CONTEXT).min(old.len());
    let range = if to - from == 1 { format!("{}", from + 1) } else { format!("{},{}", from + 1, to - from) };
    out.push_str(&format!("@@ -{range} +{range} @@\n"));
    let mut i = from;
    while i < to {
        if old[i] == new[i] {
            line(out, ' ', old[i]);
            i += 1;
            continue;
        }
        // A run of changed lines: its old lines, then its new ones.
        let run = (i..to).take_while(|&j| old[j] != new[j]).count();
        old[i..i + run].iter().for_each(|l| line(out, '-', l));
        new[i..i + run].iter().for_each(|l| line(out, '+', l));
        i += run;
    }
}

fn line(out: &mut String, tag: char, text: &str) {
    out.push(tag);
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    /// The same diff as `similar`'s wherever the lines stay the same in number.
    #[test]
    fn matches_similar_on_line_for_line_changes() {
        let old: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let cases: Vec<(Vec<usize>, bool)> = vec![(vec![0], true), (vec![39], true), (vec![39], false), (vec![5, 6, 7], true), (vec![3, 10], true), (vec![3, 11], true), (vec![0, 20, 39], false)];
        for (lines, newline_at_end) in cases {
            let old = if newline_at_end { old.clone() } else { old.trim_end().to_string() };
            let new: String = old.split_inclusive('\n').enumerate().map(|(i, l)| if lines.contains(&i) { l.replacen("line", "LINE", 1) } else { l.to_string() }).collect();
            let expected = similar::TextDiff::from_lines(old.as_str(), new.as_str()).unified_diff().context_radius(3).header("a/f.sql", "b/f.sql").to_string();
            assert_eq!(unified_diff("./f.sql", &old, &new), expected, "{lines:?}, newline at end: {newline_at_end}");
        }
        assert_eq!(unified_diff("f.sql", "same\n", "same\n"), "");
    }
}
