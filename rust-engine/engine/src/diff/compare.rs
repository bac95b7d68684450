//! One table's two versions compared, column by column: what is renamed
//! (declared), retyped, dropped and added, renames that may have happened
//! (inferred), and what the change spec cannot say (a RECORD's fields).

use std::collections::HashMap;

use super::model::{ColumnDef, TableDef};
use super::renames::{infer, MAX_PAIRS};
use super::{Suggestion, Undecided};
use crate::{Change, Dialect};

/// Where the two versions are written.
pub(crate) struct Paths<'a> {
    pub old: &'a str,
    pub new: &'a str,
}

/// What the comparison of one table found.
#[derive(Default)]
pub(crate) struct Compared {
    pub changes: Vec<Change>,
    pub suggestions: Vec<Suggestion>,
    pub undecided: Vec<Undecided>,
    pub added: Vec<String>,
}

/// `moved_to`: the table's new name, when it moves.
pub(crate) fn compare(old: &TableDef, new: &TableDef, paths: &Paths, dialect: Dialect, moved_to: Option<&str>) -> Compared {
    let mut out = Compared::default();
    let (pairs, dropped, added) = match_columns(&old.columns, &new.columns, paths, &mut out.undecided);
    for (o, n, declared) in &pairs {
        let (before, after) = (&old.columns[*o], &new.columns[*n]);
        let retyped = before.type_key().zip(after.type_key()).is_some_and(|(a, b)| a != b);
        if *declared {
            out.changes.push(Change::RenameColumn { column: before.name.clone(), to: after.name.clone() });
            if retyped {
                out.undecided.push(undecided(
                    paths.new,
                    after.line,
                    format!(
                        "`{}` is renamed to `{}` and its type changes from {} to {}: a change spec changes a column once, so the rename is kept and the new type left out",
                        before.name,
                        after.name,
                        show(before),
                        show(after)
                    ),
                ));
            }
        } else if retyped && !before.fields.is_empty() && !after.fields.is_empty() && is_array(before) == is_array(after) {
            fields(before, after, &format!("{}.", before.name), paths, &mut out.undecided);
        } else if retyped {
            let to = after.data_type.clone().unwrap_or_default();
            match crate::spec_sql::data_type(&to, dialect) {
                Ok(_) => out.changes.push(Change::ChangeType { column: before.name.clone(), to }),
                Err(why) => out.undecided.push(undecided(paths.new, after.line, format!("`{}` changes type to `{to}`, which is no SQL type of {dialect}: {why}", after.name))),
            }
        }
    }
    for &o in &dropped {
        out.changes.push(Change::DropColumn { column: old.columns[o].name.clone() });
    }
    let dropped_columns: Vec<(usize, &ColumnDef)> = dropped.iter().map(|&o| (o, &old.columns[o])).collect();
    let added_columns: Vec<(usize, &ColumnDef)> = added.iter().map(|&n| (n, &new.columns[n])).collect();
    let (inferred, exhaustive) = infer(&dropped_columns, &added_columns);
    if !exhaustive {
        out.undecided.push(undecided(
            paths.new,
            new.line,
            format!("{} columns dropped and {} added: more pairs than the {MAX_PAIRS} compared, so only columns at the same position were compared for renames", dropped.len(), added.len()),
        ));
    }
    let mut renamed = vec![false; dropped_columns.len()];
    inferred.iter().for_each(|i| renamed[i.dropped] = true);
    let unpaired: Vec<&ColumnDef> = dropped_columns.iter().zip(&renamed).filter(|(_, r)| !**r).map(|((_, c), _)| *c).collect();
    into_fields(&unpaired, &added_columns, paths, moved_to, &mut out);
    for rename in inferred {
        let (before, after) = (dropped_columns[rename.dropped].1, added_columns[rename.added].1);
        out.suggestions.push(Suggestion {
            change: Change::RenameColumn { column: before.name.clone(), to: after.name.clone() },
            replaces: vec![Change::DropColumn { column: before.name.clone() }],
            reason: rename.reason,
            path: paths.new.to_string(),
            line: after.line,
        });
    }
    out.added = added.iter().map(|&n| new.columns[n].name.clone()).collect();
    out
}

/// Pairs of (old, new, declared rename), then the old columns dropped and
/// the new ones added, each in position order.
type Matched = (Vec<(usize, usize, bool)>, Vec<usize>, Vec<usize>);

fn match_columns(old: &[ColumnDef], new: &[ColumnDef], paths: &Paths, undecided_out: &mut Vec<Undecided>) -> Matched {
    let mut by_name: HashMap<String, usize> = HashMap::with_capacity(old.len());
    for (i, c) in old.iter().enumerate() {
        by_name.entry(c.name.to_lowercase()).or_insert(i);
    }
    let mut old_taken = vec![false; old.len()];
    let mut new_taken = vec![false; new.len()];
    let mut pairs = Vec::new();
    // Declared renames first: the name they free may be taken by another.
    for (n, column) in new.iter().enumerate() {
        let Some(from) = &column.renamed_from else { continue };
        if from.eq_ignore_ascii_case(&column.name) {
            continue;
        }
        if by_name.contains_key(&column.name.to_lowercase()) {
            // Already renamed in the old version: the declaration is history.
            continue;
        }
        match by_name.get(&from.to_lowercase()) {
            Some(&o) if !old_taken[o] => {
                old_taken[o] = true;
                new_taken[n] = true;
                pairs.push((o, n, true));
            }
            Some(_) => undecided_out.push(undecided(paths.new, column.line, format!("`{}` declares renamed_from `{from}`, which another column already declares", column.name))),
            None => undecided_out.push(undecided(paths.new, column.line, format!("`{}` declares renamed_from `{from}`, which the old schema does not have ({})", column.name, paths.old))),
        }
    }
    for (n, column) in new.iter().enumerate() {
        if new_taken[n] {
            continue;
        }
        if let Some(&o) = by_name.get(&column.name.to_lowercase()) {
            if !old_taken[o] {
                old_taken[o] = true;
                new_taken[n] = true;
                pairs.push((o, n, false));
            }
        }
    }
    pairs.sort_unstable();
    let dropped = (0..old.len()).filter(|&o| !old_taken[o]).collect();
    let added = (0..new.len()).filter(|&n| !new_taken[n]).collect();
    (pairs, dropped, added)
}

/// A RECORD's fields compared: a change spec names top-level columns only,
/// so every field dropped, renamed or retyped is for a person to decide
/// (a `replace_table` mapping can point an old column at a field path, but
/// not change a field in place). Added fields change nothing consumers
/// read.
fn fields(old: &ColumnDef, new: &ColumnDef, prefix: &str, paths: &Paths, out: &mut Vec<Undecided>) {
    let mut nested = Vec::new();
    let (pairs, dropped, added) = match_columns(&old.fields, &new.fields, paths, &mut nested);
    out.extend(nested);
    for (o, n, declared) in pairs {
        let (before, after) = (&old.fields[o], &new.fields[n]);
        if declared {
            out.push(undecided(paths.new, after.line, format!("field `{prefix}{}` is renamed to `{}`: {}", before.name, after.name, NESTED)));
        }
        let retyped = before.type_key().zip(after.type_key()).is_some_and(|(a, b)| a != b);
        if retyped && !before.fields.is_empty() && !after.fields.is_empty() && is_array(before) == is_array(after) {
            fields(before, after, &format!("{prefix}{}.", before.name), paths, out);
        } else if retyped {
            out.push(undecided(paths.new, after.line, format!("field `{prefix}{}` changes type from {} to {}: {}", after.name, show(before), show(after), NESTED)));
        }
    }
    let new_line = new.line;
    let guess = dropped.len().saturating_mul(added.len()) <= MAX_PAIRS;
    for o in dropped {
        let field = &old.fields[o];
        // A guess for the reader, bounded like the inference.
        let guessed = if guess { added.iter().map(|&n| &new.fields[n]).find(|a| a.type_key() == field.type_key()) } else { None };
        let renamed = guessed.map(|a| format!(" (renamed to `{}`?)", a.name)).unwrap_or_default();
        out.push(undecided(paths.new, new_line, format!("field `{prefix}{}` is dropped{renamed}: {}", field.name, NESTED)));
    }
}

const NESTED: &str = "a change spec names top-level columns only; decide how consumers reading the field follow (a replace_table mapping, or by hand)";

/// Dropped columns that reappear as a new RECORD's fields
/// (`address_country` as `address.country`): a `replace_table` mapping
/// says that, when the table moves; otherwise no change spec can.
fn into_fields(dropped: &[&ColumnDef], added: &[(usize, &ColumnDef)], paths: &Paths, moved_to: Option<&str>, out: &mut Compared) {
    let records: Vec<&ColumnDef> = added.iter().map(|(_, c)| *c).filter(|r| !r.fields.is_empty() && !is_array(r)).collect();
    let fields: usize = records.iter().map(|r| r.fields.len()).sum();
    // Bounded like the inference: past it, no such suggestion.
    if dropped.len().saturating_mul(records.len() + fields) > MAX_PAIRS {
        return;
    }
    let clean = |s: &str| s.to_lowercase().replace('_', "");
    let mut mapped: Vec<(&ColumnDef, String, u64)> = Vec::new();
    for column in dropped {
        let wanted = clean(&column.name);
        let found = records.iter().find_map(|record| {
            let prefix = clean(&record.name);
            let rest = wanted.strip_prefix(&prefix)?;
            let field = record.fields.iter().find(|f| clean(&f.name) == rest && (f.type_key().is_none() || column.type_key().is_none() || f.type_key() == column.type_key()))?;
            Some((format!("{}.{}", record.name, field.name), field.line))
        });
        if let Some((path, line)) = found {
            mapped.push((column, path, line));
        }
    }
    let Some(&(_, _, line)) = mapped.first() else {
        return;
    };
    let Some(to) = moved_to else {
        for (column, path, line) in mapped {
            out.undecided.push(undecided(
                paths.new,
                line,
                format!("`{}` is dropped and may now be the field `{path}`: a change spec maps a column to a field path only when the table moves (replace_table)", column.name),
            ));
        }
        return;
    };
    let listed: Vec<String> = mapped.iter().map(|(c, p, _)| format!("`{}` as `{p}`", c.name)).collect();
    out.suggestions.push(Suggestion {
        change: Change::ReplaceTable { to: to.to_string(), columns: mapped.iter().map(|(c, p, _)| (c.name.clone(), p.clone())).collect() },
        replaces: std::iter::once(Change::RenameTable { to: to.to_string() }).chain(mapped.iter().map(|(c, _, _)| Change::DropColumn { column: c.name.clone() })).collect(),
        reason: format!("dropped columns reappear as fields of a new RECORD ({}): confirm consumers should read them there", listed.join(", ")),
        path: paths.new.to_string(),
        line,
    });
}

/// A REPEATED field, or an `ARRAY<...>` column.
fn is_array(column: &ColumnDef) -> bool {
    column.type_key().is_some_and(|t| t.starts_with("ARRAY<"))
}

fn show(column: &ColumnDef) -> &str {
    column.data_type.as_deref().unwrap_or("(no type)")
}

fn undecided(path: &str, line: u64, reason: String) -> Undecided {
    Undecided { path: path.to_string(), line, reason }
}
