//! The command-line contract, driven through the real binary on temporary data directories.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::path::Path;
use std::process::{Command, Output};

fn commonroom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commonroom"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs a command that must succeed; returns its trimmed stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = commonroom(dir, args);
    assert!(
        out.status.success(),
        "`commonroom {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs a command that must fail; returns its one-line stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = commonroom(dir, args);
    assert!(
        !out.status.success(),
        "`commonroom {}` should fail",
        args.join(" ")
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "one-line error, got {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn show(dir: &Path, community: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir, &["show", community, "--json"])).expect("show --json prints JSON")
}

#[test]
fn a_community_from_creation_to_export() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let id = ok(d, &["create", "Family Support CoP", "--me", "Alex"]);
    assert_eq!(id.len(), 26, "a ULID: {id}");
    assert_eq!(ok(d, &["list"]), format!("{id}  Family Support CoP"));
    ok(
        d,
        &[
            "community",
            "edit",
            "family",
            "--domain",
            "Supporting families in Stoke",
            "--terms",
            "We meet monthly.",
        ],
    );

    let sam = ok(
        d,
        &[
            "member",
            "add",
            "Family",
            "--name",
            "Sam Lee",
            "--org",
            "Council",
            "--role",
            "core-group",
            "--focus",
            "housing",
            "--focus",
            "early years",
        ],
    );
    let event = ok(
        d,
        &[
            "event",
            "add",
            &id,
            "--title",
            "December meeting",
            "--start",
            "2026-12-03T18:00:00Z",
            "--end",
            "2026-12-03T20:00:00Z",
            "--format",
            "hot-seat",
            "--venue",
            "Hall",
        ],
    );
    let theme = ok(
        d,
        &[
            "theme",
            "add",
            "family",
            "--name",
            "Housing",
            "--description",
            "Housing pressures",
        ],
    );
    let note = ok(
        d,
        &[
            "note",
            "add",
            "family",
            "--text",
            "Waiting lists are long",
            "--event",
            &event,
            "--theme",
            "housing",
        ],
    );
    let anon = ok(
        d,
        &[
            "note",
            "add",
            "family",
            "--text",
            "I worry about rent",
            "--anonymous",
        ],
    );
    let resource = ok(
        d,
        &[
            "resource",
            "add",
            "family",
            "--title",
            "Guide",
            "--url",
            "https://example.org/guide",
            "--tag",
            "guide",
        ],
    );
    let action = ok(
        d,
        &[
            "action",
            "add",
            "family",
            "--text",
            "Write to the council",
            "--owner",
            "Sam Lee",
            "--due",
            "2026-12-10",
        ],
    );
    ok(d, &["event", "rsvp", "family", &event, "--answer", "yes"]);
    ok(
        d,
        &["event", "check-in", "family", &event, "--member", &sam],
    );

    let v = show(d, "family");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["community"]["domain"], "Supporting families in Stoke");
    assert_eq!(v["community"]["terms"], "We meet monthly.");
    assert_eq!(v["members"].as_array().unwrap().len(), 2);
    let sam_json = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sam.as_str())
        .unwrap();
    assert_eq!(sam_json["roles"], serde_json::json!(["core-group"]));
    assert_eq!(
        sam_json["focus"],
        serde_json::json!(["early years", "housing"])
    );
    assert_eq!(v["events"][0]["format"], "hot-seat");
    assert_eq!(v["events"][0]["attendance"], serde_json::json!([sam]));
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    let n = notes.iter().find(|n| n["id"] == note.as_str()).unwrap();
    assert_eq!(n["theme"], theme.as_str());
    assert_eq!(n["event"], event.as_str());
    let a = notes.iter().find(|n| n["id"] == anon.as_str()).unwrap();
    assert_eq!(a["author"], serde_json::Value::Null);
    assert_eq!(v["resources"][0]["id"], resource.as_str());
    assert_eq!(v["actions"][0]["owner"], sam.as_str());
    let heads = v["heads"].as_array().unwrap();
    assert!(!heads.is_empty() && heads.iter().all(|h| h.as_str().unwrap().len() == 64));

    // Edits, by id prefix.
    ok(d, &["action", "edit", "family", &action[..20], "--done"]);
    ok(
        d,
        &[
            "note",
            "edit",
            "family",
            &note,
            "--text",
            "Waiting lists are very long",
            "--theme",
            "",
        ],
    );
    ok(d, &["member", "edit", "family", &sam, "--org", ""]);
    let v = show(d, "family");
    assert_eq!(v["actions"][0]["done"], true);
    let n = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == note.as_str())
        .unwrap()
        .clone();
    assert_eq!(n["text"], "Waiting lists are very long");
    assert_eq!(n["theme"], serde_json::Value::Null);

    // Remove and restore.
    ok(d, &["resource", "remove", "family", &resource]);
    assert_eq!(show(d, "family")["resources"].as_array().unwrap().len(), 0);
    ok(d, &["resource", "restore", "family", &resource]);
    assert_eq!(show(d, "family")["resources"].as_array().unwrap().len(), 1);
    ok(d, &["member", "remove", "family", &sam]);
    let removed = show(d, "family");
    let sam_json = removed["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sam.as_str())
        .unwrap();
    assert!(
        sam_json["removed"].is_object(),
        "removal record: {sam_json}"
    );

    // Exports.
    let out = tmp.path().join("calendar.ics");
    ok(
        d,
        &[
            "export",
            "family",
            "--format",
            "ics",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let ics = std::fs::read_to_string(&out).unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.contains(&format!("UID:{event}@commonroom"))
    );
    let md = ok(d, &["export", "family", "--format", "markdown"]);
    assert!(md.starts_with("# Family Support CoP") && md.contains("## Terms of Reference"));
    let csv = ok(
        d,
        &["export", "family", "--format", "csv", "--table", "notes"],
    );
    assert!(csv.starts_with("id,text,author,event,theme,created"));
    assert!(csv.contains("anonymous"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["export", "family", "--format", "json"])).unwrap();
    assert_eq!(json["id"], id.as_str());
}

#[test]
fn bad_input_gets_a_clear_one_line_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["create", "Research CoP", "--me", "Priya"]);
    let before = show(d, "research");

    assert!(fails(d, &["note", "add", "research", "--text", "   "]).contains("must not be empty"));
    assert!(
        fails(
            d,
            &[
                "event", "add", "research", "--title", "x", "--start", "tomorrow"
            ]
        )
        .contains("RFC 3339")
    );
    assert!(
        fails(
            d,
            &[
                "event",
                "add",
                "research",
                "--title",
                "x",
                "--start",
                "2026-12-03T18:00:00Z",
                "--end",
                "2026-12-03T17:00:00Z"
            ]
        )
        .contains("before it starts")
    );
    assert!(
        fails(
            d,
            &[
                "event",
                "add",
                "research",
                "--title",
                "x",
                "--start",
                "2026-12-03T18:00:00Z",
                "--format",
                "party"
            ]
        )
        .contains("hot-seat")
    );
    assert!(
        fails(
            d,
            &[
                "action", "add", "research", "--text", "x", "--owner", "Nobody"
            ]
        )
        .contains("Nobody")
    );
    assert!(
        fails(
            d,
            &[
                "action",
                "add",
                "research",
                "--text",
                "x",
                "--due",
                "next week"
            ]
        )
        .contains("date")
    );
    assert!(
        fails(
            d,
            &["note", "add", "research", "--text", "x", "--event", "NOPE"]
        )
        .contains("no event")
    );
    assert!(
        fails(
            d,
            &[
                "member", "add", "research", "--name", "Jo", "--role", "boss"
            ]
        )
        .contains("role")
    );
    assert!(
        fails(
            d,
            &[
                "resource",
                "add",
                "research",
                "--title",
                "x",
                "--url",
                "not a link"
            ]
        )
        .contains("link")
    );
    assert!(fails(d, &["show", "nothing-like-this"]).contains("no community"));
    assert!(fails(d, &["note", "edit", "research", "01ZZZ", "--text", "x"]).contains("no note"));
    assert!(
        fails(
            d,
            &[
                "export", "research", "--format", "csv", "--table", "secrets"
            ]
        )
        .contains("not a table")
    );

    assert_eq!(show(d, "research"), before, "nothing changed");
}

#[test]
fn ambiguous_and_unique_name_prefixes() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let a = ok(d, &["create", "Family Support CoP", "--me", "Alex"]);
    let b = ok(d, &["create", "Family Hubs Network", "--me", "Alex"]);
    assert!(fails(d, &["show", "family"]).contains("several communities"));
    assert_eq!(show(d, "family s")["id"], a.as_str());
    assert_eq!(show(d, "Family H")["id"], b.as_str());
    assert_eq!(ok(d, &["list"]).lines().count(), 2);
}

#[test]
fn a_locked_data_directory_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["create", "Locked CoP", "--me", "Alex"]);
    let _held = commonroom_store::DataDir::open(d).unwrap();
    assert!(fails(d, &["list"]).contains("in use by another Commonroom process"));
}

#[test]
fn a_damaged_record_is_reported_by_name_and_the_rest_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let id = ok(d, &["create", "Damage CoP", "--me", "Alex"]);
    ok(d, &["note", "add", "damage", "--text", "one"]);
    ok(d, &["note", "add", "damage", "--text", "two"]);
    let dir = d.join("communities").join(&id);
    let logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("log-"))
        .collect();
    let [log] = logs.as_slice() else {
        panic!("one change log: {logs:?}")
    };
    // A bit flipped inside the last write's record (the note "two").
    let mut bytes = std::fs::read(log).unwrap();
    let inside_last = bytes.len() - 10;
    bytes[inside_last] ^= 0x20;
    std::fs::write(log, &bytes).unwrap();
    let out = commonroom(d, &["show", "damage", "--json"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(log.file_name().unwrap().to_str().unwrap()) && stderr.contains("checksum"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["notes"].as_array().unwrap().len(),
        1,
        "the undamaged note is there"
    );
}

#[test]
fn a_meeting_from_the_sample_pairing_rounds_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["sample", "--me", "Alex"]).trim().to_owned();
    let data = show(d, &id);
    let hot_seat = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["format"] == "hot-seat")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Two rounds for the six people checked in: three pairs each, no pair twice.
    let printed = ok(
        d,
        &["event", "pair", &id, &hot_seat, "--rounds", "2", "--record"],
    );
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 8, "{printed}");
    assert_eq!(lines[0], "round 1");
    assert_eq!(lines[4], "round 2");
    let data = show(d, &id);
    let event = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == hot_seat.as_str())
        .unwrap();
    let rounds = event["rounds"].as_object().unwrap();
    assert_eq!(rounds.len(), 2);
    let mut pairs = std::collections::BTreeSet::new();
    for round in rounds.values() {
        for group in round["groups"].as_array().unwrap() {
            let mut g: Vec<&str> = group
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            g.sort();
            assert!(pairs.insert(g.join("+")), "a pair repeated: {g:?}");
        }
    }
    // A third round continues the numbering.
    let printed = ok(d, &["event", "pair", &id, &hot_seat]);
    assert!(printed.starts_with("round 3\n"), "{printed}");

    ok(
        d,
        &[
            "event",
            "edit",
            &id,
            &hot_seat,
            "--topic",
            "A parent's journey through early help",
        ],
    );
    let summary = ok(
        d,
        &["export", &id, "--format", "markdown", "--event", &hot_seat],
    );
    assert!(
        summary.starts_with("# Hot Seat: a parent's journey through early help"),
        "{summary}"
    );
    assert!(summary.contains("**6 people came.**"), "{summary}");
    assert!(
        summary.contains("**Hot Seat topic:** A parent's journey through early help"),
        "{summary}"
    );
    assert!(summary.contains("## What came up"), "{summary}");
    assert!(summary.contains("## Actions"), "{summary}");
    assert!(
        summary.contains("## Rapid pairing\n\n- Round 1: "),
        "{summary}"
    );
    assert!(
        summary.contains("**Next:** **Rapid pairing: who knows what**"),
        "{summary}"
    );
    let err = fails(
        d,
        &["export", &id, "--format", "json", "--event", &hot_seat],
    );
    assert!(err.contains("--event goes with --format markdown"), "{err}");
    // Plain text for WhatsApp or email: no Markdown marks, local times.
    let text = ok(
        d,
        &["export", &id, "--format", "text", "--event", &hot_seat],
    );
    assert!(
        text.starts_with("*Hot Seat: a parent's journey through early help*"),
        "{text}"
    );
    assert!(text.contains("6 people came."), "{text}");
    assert!(text.contains("*Rapid pairing*\n• Round 1: "), "{text}");
    assert!(
        !text.contains("**") && !text.contains('#') && !text.contains("UTC"),
        "{text}"
    );
    let err = fails(d, &["export", &id, "--format", "text"]);
    assert!(err.contains("add --event EVENT"), "{err}");

    // The rota says who facilitates next; a new event starts from its format's agenda.
    let overview = ok(d, &["show", &id]);
    assert!(overview.contains("Next to facilitate: "), "{overview}");
    let new = ok(
        d,
        &[
            "event",
            "add",
            &id,
            "--title",
            "January Hot Seat",
            "--start",
            "2027-01-14T18:00:00Z",
            "--format",
            "hot-seat",
        ],
    );
    let data = show(d, &id);
    let agenda = data["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == new.trim())
        .unwrap()["agenda"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        agenda.contains("The partner in the Hot Seat presents"),
        "{agenda}"
    );
}

#[test]
fn members_import_from_csv_with_a_report_of_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["create", "Carers Circle", "--me", "Jo"])
        .trim()
        .to_owned();
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "name,roles,focus\nAmir,member,respite\n,member,\nBea,boss,\n",
    )
    .unwrap();
    let err = fails(d, &["member", "import", &id, bad.to_str().unwrap()]);
    assert!(err.contains("nothing imported"), "{err}");
    assert!(err.contains("line 3: the name is empty"), "{err}");
    assert!(err.contains("line 4: role \"boss\" is not one of"), "{err}");
    assert_eq!(
        show(d, &id)["members"].as_array().unwrap().len(),
        1,
        "nothing half-imported"
    );

    let good = d.join("good.csv");
    std::fs::write(&good, "name,organisation,roles,focus\nAmir,Carers Hub,member,respite; benefits\nBea,,note-taker,\n").unwrap();
    assert_eq!(
        ok(d, &["member", "import", &id, good.to_str().unwrap()]).trim(),
        "imported 2 members"
    );
    let data = show(d, &id);
    let names: Vec<&str> = data["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Amir") && names.contains(&"Bea"),
        "{names:?}"
    );
    // Importing the same file again is refused: they are members already.
    let err = fails(d, &["member", "import", &id, good.to_str().unwrap()]);
    assert!(err.contains("line 2: Amir is already a member"), "{err}");
}

#[test]
fn surveys_stories_and_the_impact_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["create", "Carers Circle", "--me", "Jo"])
        .trim()
        .to_owned();
    ok(d, &["member", "add", &id, "--name", "Amir"]);
    let survey = ok(
        d,
        &[
            "survey",
            "add",
            &id,
            "--title",
            "Training needs",
            "--question",
            "scale:How confident are you?",
            "--question",
            "multiple:Which training?:Safeguarding|Benefits|SEND",
            "--question",
            "text:Anything else?",
        ],
    )
    .trim()
    .to_owned();
    ok(
        d,
        &[
            "survey",
            "answer",
            &id,
            &survey,
            "--answer",
            "1=4",
            "--answer",
            "2=Benefits|SEND",
            "--answer",
            "3=Evenings please",
        ],
    );
    ok(
        d,
        &[
            "survey", "answer", &id, &survey, "--member", "Amir", "--answer", "1=2", "--answer",
            "2=SEND",
        ],
    );
    let err = fails(d, &["survey", "answer", &id, &survey, "--answer", "1=7"]);
    assert!(err.contains("does not fit the question"), "{err}");
    let results = ok(d, &["survey", "results", &id, &survey]);
    assert!(
        results.starts_with("Training needs (2 answers)\n"),
        "{results}"
    );
    assert!(results.contains("   mean: 3.0"), "{results}");
    assert!(results.contains("   SEND: 2\n"), "{results}");
    assert!(results.contains("   - Evenings please"), "{results}");

    ok(
        d,
        &[
            "story",
            "add",
            &id,
            "--title",
            "Respite found",
            "--text",
            "Amir found respite care through the group.",
            "--cycle",
            "applied",
            "--cycle",
            "realised",
        ],
    );
    let err = fails(
        d,
        &[
            "story", "add", &id, "--title", "x", "--text", "y", "--cycle", "huge",
        ],
    );
    assert!(err.contains("cycle"), "{err}");
    let report = ok(d, &["export", &id, "--format", "markdown", "--impact"]);
    assert!(
        report.starts_with("# Carers Circle: impact report"),
        "{report}"
    );
    assert!(
        report.contains("### Realised value (1)\n\n- **Respite found** (Jo)"),
        "{report}"
    );
}

#[test]
fn history_shows_who_deleted_notes_and_restore_brings_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["create", "Carers CoP", "--me", "Alex"]);
    for text in ["respite", "school letters", "benefits"] {
        ok(d, &["note", "add", &id, "--text", text]);
    }
    let before = show(d, &id)["notes"].clone();
    let ids: Vec<String> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    for note in &ids {
        ok(d, &["note", "remove", &id, note]);
    }
    assert_eq!(show(d, &id)["notes"].as_array().unwrap().len(), 0);
    let feed = ok(d, &["history", &id, "--section", "notes", "--limit", "3"]);
    let lines: Vec<&str> = feed.lines().collect();
    assert_eq!(lines.len(), 3, "{feed}");
    assert!(
        lines.iter().all(|l| l.contains("Alex deleted the note")),
        "{feed}"
    );
    let first_deletion = lines[2].split_whitespace().next().unwrap();
    assert!(
        fails(
            d,
            &["restore", &id, "--before", "nothex", "--section", "notes"]
        )
        .contains("not a change id")
    );
    assert!(
        fails(
            d,
            &[
                "restore",
                &id,
                "--before",
                first_deletion,
                "--section",
                "invites"
            ]
        )
        .contains("not a section")
    );
    assert_eq!(
        ok(
            d,
            &[
                "restore",
                &id,
                "--before",
                first_deletion,
                "--section",
                "notes"
            ]
        ),
        "restored"
    );
    assert_eq!(
        show(d, &id)["notes"],
        before,
        "every note exactly as it was"
    );
    assert!(ok(d, &["history", &id, "--limit", "1"]).contains("Alex restored notes"));
    // One entity: spoil a note's text, then bring back just that note.
    ok(d, &["note", "edit", &id, &ids[0], "--text", "spam"]);
    let spoil = ok(d, &["history", &id, "--limit", "1"]);
    let spoil = spoil.split_whitespace().next().unwrap();
    ok(
        d,
        &[
            "restore",
            &id,
            "--before",
            spoil,
            "--section",
            "note",
            "--id",
            &ids[0],
        ],
    );
    assert_eq!(show(d, &id)["notes"], before);
}

#[test]
fn a_removed_member_keeps_a_removal_record_and_cannot_be_edited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["create", "Carers CoP", "--me", "Alex"]);
    let sam = ok(d, &["member", "add", &id, "--name", "Sam"]);
    ok(d, &["member", "remove", &id, &sam]);
    let json = show(d, &id);
    let removed = json["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sam.as_str())
        .unwrap()["removed"]
        .clone();
    assert!(removed.is_object(), "{json}");
    assert!(fails(d, &["member", "edit", &id, &sam, "--name", "Sam B"]).contains("removed"));
}

/// Starts `n` `note add` commands at once on `d` and checks every one succeeded.
fn twenty_at_once(d: &Path, n: usize, tag: &str) {
    let children: Vec<_> = (0..n)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_commonroom"))
                .arg("--data-dir")
                .arg(d)
                .args(["note", "add", "together", "--text"])
                .arg(format!("{tag} {i}"))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary runs")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a command started with the others failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn note_texts(d: &Path) -> Vec<String> {
    let shown = show(d, "together");
    let mut texts: Vec<String> = shown["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    texts
}

#[test]
fn twenty_commands_started_at_once_all_succeed_and_all_their_notes_are_there() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["create", "Together CoP", "--me", "Alex"]);
    twenty_at_once(d, 20, "alone");
    let texts = note_texts(d);
    assert_eq!(texts.len(), 20, "{texts:?}");
    for i in 0..20 {
        assert!(
            texts.contains(&format!("alone {i}")),
            "alone {i} is missing"
        );
    }
}

#[test]
fn commands_started_with_a_node_starting_wait_for_it_and_are_carried_out_by_it() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(d, &["create", "Together CoP", "--me", "Alex"]);
    // The node starts at the same moment as the commands: some find the directory taken
    // but no socket yet, and wait for it.
    let mut serve = Command::new(env!("CARGO_BIN_EXE_commonroom"))
        .arg("--data-dir")
        .arg(d)
        .args(["--bind", "127.0.0.1:0", "--no-relay", "--no-mdns", "serve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    twenty_at_once(d, 20, "with the node");
    let mut line = String::new();
    std::io::BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("ready "), "the node started too: {line:?}");
    // Forwarded to the running node: the same answer.
    let texts = note_texts(d);
    // SIGTERM: the node stops cleanly.
    let _ = Command::new("kill").arg(serve.id().to_string()).status();
    let _ = serve.wait();
    assert_eq!(texts.len(), 20, "{texts:?}");
    for i in 0..20 {
        assert!(texts.contains(&format!("with the node {i}")));
    }
}

/// A data directory given as a relative path works from the directory it is typed in,
/// and a new one is made private without a warning (only a loosened one is warned about).
#[test]
fn a_relative_data_directory_works_and_a_new_one_is_private_without_a_warning() {
    let here = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_commonroom"))
        .current_dir(here.path())
        .args([
            "--data-dir",
            "notes",
            "create",
            "Relative CoP",
            "--me",
            "Jo",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("could be read by other users"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = here.path().join("notes");
    assert!(ok(&dir, &["list"]).contains("Relative CoP"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the new data directory is private");
    }
}
