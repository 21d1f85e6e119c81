//! Exports of a community for people and other programs: JSON, Markdown, plain text for
//! chat apps, iCalendar, CSV.

pub mod csv;
pub mod digest;
pub mod ics;
pub mod json;
pub mod markdown;
pub mod summary;
pub mod text;
