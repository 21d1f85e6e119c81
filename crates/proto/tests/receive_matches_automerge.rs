//! The lean receive (`commonroom_proto::receive`) against Automerge's own
//! `receive_sync_message`: the same document and the same sync state after every message,
//! whatever the peers do in between.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use proptest::prelude::*;

/// One step of a run between three peers.
#[derive(Clone, Debug)]
enum Step {
    /// A peer edits (a map key and a text splice).
    Edit(usize, u8),
    /// Peer `from` sends one message to peer `to`, if it has one.
    Send { from: usize, to: usize },
    /// A message is lost (a dropped connection): both sides start a fresh state.
    Reset(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0usize..3, any::<u8>()).prop_map(|(p, v)| Step::Edit(p, v)),
        5 => (0usize..3, 0usize..3).prop_map(|(from, to)| Step::Send { from, to }),
        1 => (0usize..3, 0usize..3).prop_map(|(a, b)| Step::Reset(a, b)),
    ]
}

fn edit(doc: &mut AutoCommit, value: u8) {
    let text = match doc.get(ROOT, "text").unwrap() {
        Some((_, id)) => id,
        None => doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .unwrap(),
    };
    let len = doc.length(&text);
    let at = usize::from(value) % (len + 1);
    doc.splice_text(&text, at, 0, &char::from(b'a' + value % 26).to_string())
        .unwrap();
    doc.put(ROOT, format!("k{}", value % 7), i64::from(value))
        .unwrap();
    doc.commit();
}

use automerge::ReadDoc;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_lean_receive_matches_automerge(steps in proptest::collection::vec(step(), 1..60)) {
        let mut docs: Vec<AutoCommit> = (0..3u8)
            .map(|i| AutoCommit::new().with_actor(automerge::ActorId::from(vec![i + 1; 16])))
            .collect();
        // states[a][b]: a's state for its session with b.
        let mut states: Vec<Vec<State>> = (0..3).map(|_| (0..3).map(|_| State::new()).collect()).collect();
        for step in steps {
            match step {
                Step::Edit(p, v) => edit(&mut docs[p], v),
                Step::Reset(a, b) => {
                    states[a][b] = State::new();
                    states[b][a] = State::new();
                }
                Step::Send { from, to } if from != to => {
                    let Some(message) = docs[from].sync().generate_sync_message(&mut states[from][to]) else {
                        continue;
                    };
                    let bytes = message.encode();
                    // Automerge's own receive, on copies.
                    let mut theirs_doc = docs[to].fork();
                    theirs_doc.set_actor(docs[to].get_actor().clone());
                    let mut theirs_state = states[to][from].clone();
                    theirs_doc
                        .sync()
                        .receive_sync_message(&mut theirs_state, Message::decode(&bytes).unwrap())
                        .unwrap();
                    // The lean one, on the real peer.
                    commonroom_proto::receive::receive(
                        &mut docs[to],
                        &mut states[to][from],
                        Message::decode(&bytes).unwrap(),
                    )
                    .unwrap();
                    prop_assert_eq!(&states[to][from], &theirs_state);
                    prop_assert_eq!(docs[to].get_heads(), theirs_doc.get_heads());
                    prop_assert_eq!(docs[to].save(), theirs_doc.save());
                }
                Step::Send { .. } => {}
            }
        }
    }
}
