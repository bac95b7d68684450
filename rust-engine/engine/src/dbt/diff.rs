//! The unified diff of a file's edits, built from the edits themselves: the
//! lines they touch are known, so no diff algorithm has to find them again
//! (a general line diff takes minutes on a property file of megabytes with
//! tens of thousands of changed lines). Same format as
//! [`crate::rewrite::unified_diff`]: `a/` and `b/` prefixes, 3 lines of
//! context, hunk ranges as `similar` writes them.

use std::fmt::Write;
use std::ops::Range;

use super::edits::Edit;

const CONTEXT: usize = 3;

/// `edits` are sorted and do not overlap; `new` is `old` with them applied.
pub(crate) fn unified_diff(path: &str, old: &str, edits: &[Edit]) -> String {
    let path = path.trim_start_matches("./");
    let starts: Vec<usize> = std::iter::once(0).chain(old.match_indices('\n').map(|(i, _)| i + 1)).filter(|&s| s < old.len() || s == 0).collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    // Blocks of old lines that change, each with the edits inside it.
    let mut blocks: Vec<(Range<usize>, Vec<&Edit>)> = Vec::new();
    for edit in edits {
        let lines = line_of(edit.0.start)..line_of(edit.0.end.max(edit.0.start)) + 1;
        match blocks.last_mut() {
            Some((last, inside)) if lines.start <= last.end => {
                last.end = last.end.max(lines.end);
                inside.push(edit);
            }
            _ => blocks.push((lines, vec![edit])),
        }
    }
    let line = |i: usize| &old[starts[i]..starts.get(i + 1).copied().unwrap_or(old.len())];
    // Each block as old lines and new lines, without the lines they share.
    let mut changes: Vec<(Range<usize>, Vec<String>)> = Vec::new();
    for (lines, inside) in blocks {
        let from = starts[lines.start];
        let to = starts.get(lines.end).copied().unwrap_or(old.len());
        let mut text = String::new();
        let mut at = from;
        for (range, content) in inside {
            text.push_str(&old[at..range.start]);
            text.push_str(content);
            at = range.end;
        }
        text.push_str(&old[at..to]);
        let mut new_lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let mut old_range = lines;
        while old_range.start < old_range.end && new_lines.first().is_some_and(|l| l == line(old_range.start)) {
            new_lines.remove(0);
            old_range.start += 1;
        }
        while old_range.start < old_range.end && new_lines.last().is_some_and(|l| l == line(old_range.end - 1)) {
            new_lines.pop();
            old_range.end -= 1;
        }
        // An edit that writes what was there changes no line.
        if !old_range.is_empty() || !new_lines.is_empty() {
            changes.push((old_range, new_lines));
        }
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    // Lines added minus lines removed before the hunk being written.
    let mut shift: isize = 0;
    while i < changes.len() {
        // Changes whose contexts touch share one hunk.
        let mut j = i + 1;
        while j < changes.len() && changes[j].0.start <= changes[j - 1].0.end + 2 * CONTEXT {
            j += 1;
        }
        let first = changes[i].0.start.saturating_sub(CONTEXT);
        let last = (changes[j - 1].0.end + CONTEXT).min(starts.len());
        let mut body = String::new();
        let (mut old_len, mut new_len) = (0, 0);
        let mut at = first;
        for (range, new_lines) in &changes[i..j] {
            for k in at..range.start {
                push_line(&mut body, ' ', line(k));
            }
            for k in range.clone() {
                push_line(&mut body, '-', line(k));
            }
            for l in new_lines {
                push_line(&mut body, '+', l);
            }
            old_len += range.start - at + range.len();
            new_len += range.start - at + new_lines.len();
            at = range.end;
        }
        for k in at..last {
            push_line(&mut body, ' ', line(k));
        }
        old_len += last - at;
        new_len += last - at;
        let new_first = (first as isize + shift) as usize;
        writeln!(out, "@@ -{} +{} @@", hunk_range(first, old_len), hunk_range(new_first, new_len)).unwrap();
        out.push_str(&body);
        shift += new_len as isize - old_len as isize;
        i = j;
    }
    out
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// `start,len` (1-based), `start` alone for one line, as `similar` writes it.
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        _ => format!("{},{len}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(old: &str, edits: &[Edit]) -> (String, String) {
        let mut new = old.to_string();
        for (range, content) in edits.iter().rev() {
            new.replace_range(range.clone(), content);
        }
        (unified_diff("f.yml", old, edits), crate::rewrite::unified_diff("f.yml", old, &new))
    }

    #[test]
    fn the_diff_is_the_one_a_line_diff_finds() {
        let old: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let at = |line: usize, col: usize| old.match_indices('\n').nth(line.wrapping_sub(1)).map_or(0, |(i, _)| i + 1) + col;
        let cases: Vec<Vec<Edit>> = vec![
            vec![(at(0, 0)..at(0, 4), "LINE".into())],
            vec![(at(5, 5)..at(5, 6), "five".into()), (at(8, 0)..at(8, 0), "x".into()), (at(30, 6)..at(30, 6), "\n  added".into())],
            vec![(at(39, 5)..at(39, 7), "last".into())],
            vec![(at(20, 0)..at(20, 4), "LINE".into()), (at(21, 0)..at(21, 4), "LINE".into()), (at(22, 6)..at(22, 6), "\n  added".into())],
            vec![(at(10, 0)..at(10, 1), "L".into()), (at(10, 2)..at(10, 3), "N".into()), (at(11, 0)..at(11, 1), "l".into())],
        ];
        for edits in cases {
            let (ours, theirs) = both(&old, &edits);
            assert_eq!(ours, theirs);
        }
        let no_newline = "a\nb\nc";
        let (ours, theirs) = both(no_newline, &[(4..5, "C".into())]);
        assert_eq!(ours, theirs);
    }
}
