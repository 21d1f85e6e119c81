//! Cleaning and checking of the text and keys people type, shared by every subject.

use crate::error::CommandError;
use crate::set::Set;
use crate::time::Timestamp;

/// Longest name or title accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest short text (a note, an action, a description) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest long text (Terms of Reference, agenda, summary) accepted, in characters.
pub const MAX_LONG_TEXT_CHARS: usize = 200_000;

/// A name or title: whitespace collapsed, not empty, at most [`MAX_NAME_CHARS`].
pub(crate) fn clean_name(field: &'static str, value: &str) -> Result<String, CommandError> {
    let cleaned = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(CommandError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    check_len(field, &cleaned, MAX_NAME_CHARS)?;
    Ok(cleaned)
}

/// A text: trimmed, not empty, at most `max` characters.
pub(crate) fn clean_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, CommandError> {
    let cleaned = value.trim().to_owned();
    if cleaned.is_empty() {
        return Err(CommandError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    check_len(field, &cleaned, max)?;
    Ok(cleaned)
}

/// An optional text: trimmed, `None` if empty, at most `max` characters.
pub(crate) fn clean_optional(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CommandError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            check_len(field, text, max)?;
            Ok(Some(text.to_owned()))
        }
    }
}

/// A long text, kept as typed: at most [`MAX_LONG_TEXT_CHARS`].
pub(super) fn clean_long(field: &'static str, value: &str) -> Result<String, CommandError> {
    check_len(field, value, MAX_LONG_TEXT_CHARS)?;
    Ok(value.to_owned())
}

/// At most `max` characters, and no control characters other than newlines and tabs.
pub(crate) fn check_len(field: &'static str, value: &str, max: usize) -> Result<(), CommandError> {
    if value.chars().count() > max {
        return Err(CommandError::Invalid {
            field,
            reason: format!(
                "is longer than {} characters",
                crate::error::with_commas(max)
            ),
        });
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(CommandError::Invalid {
            field,
            reason: "contains control characters".into(),
        });
    }
    Ok(())
}

/// An optional link: `None` if empty; otherwise something that looks like a link.
pub(super) fn clean_url(value: Option<&str>) -> Result<Option<String>, CommandError> {
    let Some(url) = clean_optional("url", value, 2_000)? else {
        return Ok(None);
    };
    if url.chars().any(char::is_whitespace) || !url.contains(['.', ':']) {
        return Err(CommandError::Invalid {
            field: "url",
            reason: format!(
                "\u{201c}{url}\u{201d} is not a web address (one looks like https://example.org)"
            ),
        });
    }
    Ok(Some(url))
}

/// Tags (or focus areas): each cleaned as a name, blanks dropped, duplicates merged.
pub(super) fn clean_tags(
    field: &'static str,
    tags: &[String],
) -> Result<Set<String>, CommandError> {
    tags.iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| clean_name(field, t))
        .collect()
}

/// A device endpoint id or invite key: 64 lower-case hex characters.
pub(super) fn check_device_id(field: &'static str, value: &str) -> Result<String, CommandError> {
    let value = value.trim().to_lowercase();
    if value.len() != 64 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CommandError::Invalid {
            field,
            reason: "is not a 64-character hex key".into(),
        });
    }
    Ok(value)
}

/// An event does not end before it starts.
pub(super) fn check_times(start: Timestamp, end: Option<Timestamp>) -> Result<(), CommandError> {
    match end {
        Some(end) if end < start => Err(CommandError::Invalid {
            field: "end",
            reason: format!("the event ends ({end}) before it starts ({start})"),
        }),
        _ => Ok(()),
    }
}
