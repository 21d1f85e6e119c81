//! Importing members from a spreadsheet (CSV), as a community moving from a sign-up sheet
//! would: every row is checked first, and a file with any bad row imports nothing, with one
//! clear message per bad line.
//!
//! Columns (a header row is required, any order, case-insensitive): `name` (required),
//! `organisation` (or `organization`, `org`), `roles` (or `role`), `focus` (or
//! `focus areas`, `interests`), `contact` (or `email`). Lists inside a cell are separated
//! by `;`. Other columns (such as the `id` and `joined` of an export) are ignored, and a row
//! with every cell empty is skipped. Cells pasted from a spreadsheet (separated by tabs)
//! work too.

use std::collections::BTreeSet;
use std::fmt;

use crate::commands::{MAX_NAME_CHARS, NewMember};
use crate::ids::MemberId;
use crate::labels::Role;
use crate::view::CommunityView;

/// Rows in one import at most (a bigger file is refused, not truncated).
pub const MAX_ROWS: usize = 5_000;

/// What was wrong with one line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// The line number in the file (the header is line 1).
    pub line: u64,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
}

fn list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// Reads members from CSV text, checked against the community (names already taken by an
/// active member, or repeated in the file, are errors). Either every row is good and all
/// are returned, or the errors of every bad line are.
pub fn members_from_csv(
    text: &str,
    view: &CommunityView,
) -> Result<Vec<NewMember>, Vec<LineError>> {
    // Cells copied from a spreadsheet arrive separated by tabs.
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![LineError {
                line: 1,
                reason: format!("unreadable header: {e}"),
            }]);
        }
    };
    let Some(name_col) = column(&headers, &["name", "display name", "full name"]) else {
        return Err(vec![LineError {
            line: 1,
            reason: "the first line must name the columns, including a \"name\" column".into(),
        }]);
    };
    let org_col = column(&headers, &["organisation", "organization", "org"]);
    let roles_col = column(&headers, &["roles", "role"]);
    let focus_col = column(&headers, &["focus", "focus areas", "interests"]);
    let contact_col = column(&headers, &["contact", "email"]);
    let mut taken: BTreeSet<String> = view
        .active_members()
        .iter()
        .map(|m| m.name.to_lowercase())
        .collect();
    let mut members = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        if index >= MAX_ROWS {
            errors.push(LineError {
                line,
                reason: format!("more than {MAX_ROWS} rows: split the file"),
            });
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(line);
                errors.push(LineError {
                    line,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("").trim();
        let name = cell(Some(name_col))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push("the name is empty".to_owned());
        } else if name.chars().count() > MAX_NAME_CHARS {
            problems.push(format!(
                "the name is longer than {MAX_NAME_CHARS} characters"
            ));
        } else if !taken.insert(name.to_lowercase()) {
            problems.push(format!(
                "{name} is already a member (or appears twice in the file)"
            ));
        }
        let mut roles = Vec::new();
        for role in list(cell(roles_col)) {
            match role.parse::<Role>() {
                Ok(r) => roles.push(r),
                Err(e) => problems.push(format!("role {e}")),
            }
        }
        if roles.is_empty() {
            roles.push(Role::Member);
        }
        let organisation = Some(cell(org_col).to_owned()).filter(|o| !o.is_empty());
        let contact = Some(cell(contact_col).to_owned()).filter(|c| !c.is_empty());
        for (field, value) in [("organisation", &organisation), ("contact", &contact)] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > MAX_NAME_CHARS)
            {
                problems.push(format!(
                    "the {field} is longer than {MAX_NAME_CHARS} characters"
                ));
            }
        }
        if problems.is_empty() {
            members.push(NewMember {
                id: MemberId::generate(),
                name,
                organisation,
                roles,
                focus: list(cell(focus_col)),
                contact,
            });
        } else {
            errors.push(LineError {
                line,
                reason: problems.join("; "),
            });
        }
    }
    if errors.is_empty() {
        Ok(members)
    } else {
        Err(errors)
    }
}
