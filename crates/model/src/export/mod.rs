//! Exports of a community for people and other programs: JSON, Markdown, iCalendar, CSV.

pub mod csv;
pub mod ics;
pub mod json;
pub mod markdown;
