//! Exports: JSON schema shape, iCalendar validity, CSV quoting, Markdown readability.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use commonroom_model::commands::{NewNote, NewResource};
use commonroom_model::export::{self, csv::Table};
use commonroom_model::{Command, CommunityView, NoteId, ResourceId};

fn view() -> CommunityView {
    let mut f = common::fixture();
    let c = common::ctx(&f.founder, 5);
    f.doc
        .apply(
            &c,
            Command::AddNote(NewNote {
                id: NoteId::new("n1"),
                text: "Waiting lists, \"long\"; very long".into(),
                event: Some(f.event.clone()),
                theme: Some(f.theme.clone()),
                position: None,
                anonymous: false,
            }),
        )
        .unwrap();
    f.doc
        .apply(
            &c,
            Command::AddResource(NewResource {
                id: ResourceId::new("r1"),
                title: "Stoke-on-Trent guide".into(),
                url: Some("https://example.org/guide".into()),
                description: "How we run the CoP".into(),
                tags: vec!["guide".into()],
                themes: vec![],
            }),
        )
        .unwrap();
    f.doc
        .apply(
            &c,
            Command::EditEvent(
                f.event.clone(),
                commonroom_model::commands::EventPatch {
                    title: Some("Monthly meeting: Hot Seat, housing; bring a friend — über café ☕ with a title long enough to need folding".into()),
                    agenda: Some("1. Welcome, tea\n2. Hot Seat; housing\\benefits".into()),
                    ..Default::default()
                },
            ),
        )
        .unwrap();
    CommunityView::hydrate(&mut f.doc).unwrap()
}

#[test]
fn json_has_the_documented_stable_shape() {
    let v = export::json::to_value(&view());
    for key in [
        "schema",
        "id",
        "community",
        "members",
        "events",
        "notes",
        "resources",
        "themes",
        "actions",
        "heads",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let heads = v["heads"].as_array().unwrap();
    assert_eq!(heads.len(), 1);
    assert_eq!(heads[0].as_str().unwrap().len(), 64);
    let ids: Vec<&str> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "entities sorted by id");
    assert_eq!(v["events"][0]["start"], "2026-10-01T14:13:20Z");
    assert_eq!(v["notes"][0]["text"], "Waiting lists, \"long\"; very long");
}

fn unfold(ics: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in ics.split("\r\n") {
        if let Some(rest) = raw.strip_prefix(' ') {
            lines.last_mut().unwrap().push_str(rest);
        } else if !raw.is_empty() {
            lines.push(raw.to_owned());
        }
    }
    lines
}

#[test]
fn ics_is_valid_rfc5545() {
    let v = view();
    let ics = export::ics::calendar(&v, commonroom_model::Timestamp::from_millis(common::T0));
    assert!(ics.ends_with("\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
    }
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "only CRLF line ends"
    );
    let lines = unfold(&ics);
    for required in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:",
        "BEGIN:VEVENT",
        "UID:event-1@commonroom",
        "DTSTAMP:20260921T",
        "DTSTART:20261001T141320Z",
        "DTEND:20261001T161320Z",
        "END:VEVENT",
        "END:VCALENDAR",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(required)),
            "missing {required}"
        );
    }
    let summary = lines.iter().find(|l| l.starts_with("SUMMARY:")).unwrap();
    assert!(
        summary.contains("Hot Seat\\, housing\\; bring"),
        "{summary}"
    );
    let description = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:"))
        .unwrap();
    assert!(
        description.contains("1. Welcome\\, tea\\n2. Hot Seat\\; housing\\\\benefits"),
        "{description}"
    );

    // An independent iCalendar parser reads it back.
    let parsed: icalendar::Calendar = ics.parse().expect("icalendar parses the export");
    use icalendar::{Component, EventLike};
    let events: Vec<&icalendar::Event> = parsed
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].get_summary(),
        Some(
            "Monthly meeting: Hot Seat, housing; bring a friend — über café ☕ with a title long enough to need folding"
        )
    );
    assert_eq!(events[0].get_location(), Some("Hall"));
    assert_eq!(events[0].get_uid(), Some("event-1@commonroom"));
}

#[test]
fn csv_quotes_and_has_headers() {
    let v = view();
    let notes = export::csv::table(&v, Table::Notes);
    let mut reader = ::csv::Reader::from_reader(notes.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "text", "author", "event", "theme", "created"]
    );
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[1], "Waiting lists, \"long\"; very long");
    assert_eq!(&row[2], "Alex");
    let members = export::csv::table(&v, Table::Members);
    assert_eq!(members.lines().count(), 3);
}

#[test]
fn markdown_reads_well() {
    let v = view();
    let md = export::markdown::overview(&v, commonroom_model::Timestamp::from_millis(common::T0));
    assert!(md.starts_with("# Family Support CoP\n"));
    assert!(md.contains("## Members (2)"));
    assert!(md.contains("## Upcoming events"));
    assert!(md.contains("### Housing (1 note)"));
    assert!(
        md.contains("- [Stoke-on-Trent guide](https://example.org/guide) — How we run the CoP")
    );
    assert!(!md.contains("\n\n\n"), "no runs of blank lines");
}
