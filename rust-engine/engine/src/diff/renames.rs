//! Renames nobody declared: a column dropped and one added with the same
//! type (or types the files do not give) and a similar name or the same
//! position. Only ever offered as suggestions for a person to confirm: a
//! drop and an add may just be a drop and an add.

use super::model::ColumnDef;

/// A dropped column and an added one that may be one column renamed.
pub(crate) struct Inferred {
    /// Indexes into the `dropped` and `added` lists given.
    pub dropped: usize,
    pub added: usize,
    pub reason: String,
}

/// Pairs compared at most: past it (tens of thousands of columns dropped
/// and added at once), only columns at the same position are paired, and
/// the work stays linear.
pub(crate) const MAX_PAIRS: usize = 250_000;

/// How close two names must be (normalized Damerau-Levenshtein, 1 for the
/// same name) to count as similar, when neither contains the other.
const SIMILAR: f64 = 0.6;

/// Each entry is a column and its position in its table. Returns the
/// likeliest pairs, each column in at most one, best first.
pub(crate) fn infer(dropped: &[(usize, &ColumnDef)], added: &[(usize, &ColumnDef)]) -> (Vec<Inferred>, bool) {
    let exhaustive = dropped.len().saturating_mul(added.len()) <= MAX_PAIRS;
    let mut candidates: Vec<(f64, usize, usize, String)> = Vec::new();
    let mut consider = |d: usize, a: usize| {
        let ((old_position, old), (new_position, new)) = (dropped[d], added[a]);
        let (old_type, new_type) = (old.type_key(), new.type_key());
        if old_type.is_some() && new_type.is_some() && old_type != new_type {
            return;
        }
        let similarity = name_similarity(&old.name, &new.name);
        let similar = similarity >= SIMILAR;
        let same_position = old_position == new_position;
        if !similar && !same_position {
            return;
        }
        let mut why = Vec::new();
        if similar {
            why.push("a similar name".to_string());
        }
        if same_position {
            why.push(format!("the same position ({})", old_position + 1));
        }
        let typed = match (&old.data_type, &new.data_type) {
            (Some(t), Some(_)) => format!("the same type ({t})"),
            _ => "no type given to compare".to_string(),
        };
        let reason = format!("`{}` was dropped and `{}` added, with {typed} and {}: confirm it is one column renamed", old.name, new.name, why.join(" and "));
        candidates.push((similarity + if same_position { 0.5 } else { 0.0 }, d, a, reason));
    };
    if exhaustive {
        for d in 0..dropped.len() {
            for a in 0..added.len() {
                consider(d, a);
            }
        }
    } else {
        // Both lists are in position order: a merge finds equal positions.
        let (mut d, mut a) = (0, 0);
        while d < dropped.len() && a < added.len() {
            match dropped[d].0.cmp(&added[a].0) {
                std::cmp::Ordering::Less => d += 1,
                std::cmp::Ordering::Greater => a += 1,
                std::cmp::Ordering::Equal => {
                    consider(d, a);
                    d += 1;
                    a += 1;
                }
            }
        }
    }
    // Best first; ties in the files' order, so the result never varies.
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let (mut dropped_taken, mut added_taken) = (vec![false; dropped.len()], vec![false; added.len()]);
    let mut inferred = Vec::new();
    for (_, d, a, reason) in candidates {
        if dropped_taken[d] || added_taken[a] {
            continue;
        }
        dropped_taken[d] = true;
        added_taken[a] = true;
        inferred.push(Inferred { dropped: d, added: a, reason });
    }
    inferred.sort_by_key(|i| i.dropped);
    (inferred, exhaustive)
}

/// 1 for names equal but for case and `_`, the normalized
/// Damerau-Levenshtein similarity otherwise, and at least [`SIMILAR`] when
/// one name holds the other (`amount`, `amount_usd`).
fn name_similarity(a: &str, b: &str) -> f64 {
    let clean = |s: &str| s.to_lowercase().replace(['_', '-'], "");
    let (a, b) = (clean(a), clean(b));
    if a == b {
        return 1.0;
    }
    let similarity = strsim::normalized_damerau_levenshtein(&a, &b);
    let holds = !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a));
    if holds {
        similarity.max(SIMILAR)
    } else {
        similarity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, data_type: Option<&str>) -> ColumnDef {
        ColumnDef::new(name.into(), data_type.map(str::to_string), 1)
    }

    #[test]
    fn pairs_similar_names_and_same_positions_of_the_same_type() {
        let (amount, cust, flag) = (column("amount", Some("NUMERIC")), column("cust", Some("INT64")), column("legacy_flag", Some("BOOL")));
        let (amount_usd, customer_id, note) = (column("amount_usd", Some("numeric")), column("customer_id", Some("INTEGER")), column("note", Some("STRING")));
        let dropped = [(2, &amount), (1, &cust), (5, &flag)];
        let added = [(2, &amount_usd), (1, &customer_id), (5, &note)];
        let (inferred, exhaustive) = infer(&dropped, &added);
        assert!(exhaustive);
        let pairs: Vec<(usize, usize)> = inferred.iter().map(|i| (i.dropped, i.added)).collect();
        // `legacy_flag` and `note` share a position but not a type.
        assert_eq!(pairs, [(0, 0), (1, 1)]);
        assert!(inferred[0].reason.contains("a similar name and the same position (3)"), "{}", inferred[0].reason);
    }

    #[test]
    fn past_the_bound_only_positions_are_compared() {
        let columns: Vec<ColumnDef> = (0..1000).map(|i| column(&format!("c{i}"), Some("INT64"))).collect();
        let renamed: Vec<ColumnDef> = (0..1000).map(|i| column(&format!("d{i}"), Some("INT64"))).collect();
        let dropped: Vec<(usize, &ColumnDef)> = columns.iter().enumerate().collect();
        let added: Vec<(usize, &ColumnDef)> = renamed.iter().enumerate().collect();
        let (inferred, exhaustive) = infer(&dropped, &added);
        assert!(!exhaustive);
        assert_eq!(inferred.len(), 1000);
        assert!(inferred.iter().all(|i| i.dropped == i.added));
    }
}
