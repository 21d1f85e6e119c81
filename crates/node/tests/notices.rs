//! What a desktop notification would tell, between two real nodes on loopback: a mention, a
//! reply in my thread and an answer to my question are told once each; what I wrote, what
//! was already shown and anything in a channel I muted are not.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::{eventually, found, invite_and_join, node};
use commonroom_model::conversations::{Converse, DocKey, GENERAL, NewReply, NewThread};
use commonroom_model::{ChannelId, CommunityId, MemberId, MessageId, ThreadId};
use commonroom_node::{NodeHandle, NoticeKind};

const WAIT: Duration = Duration::from_secs(20);

fn reply(thread: &ThreadId, text: &str, mentions: Vec<MemberId>) -> (MessageId, Converse) {
    let id = MessageId::generate();
    let command = Converse::Reply(NewReply {
        id: id.clone(),
        thread: thread.clone(),
        text: text.into(),
        reply_to: None,
        mentions,
    });
    (id, command)
}

/// Waits until `handle` holds `count` messages in `thread`.
async fn until_messages(handle: &NodeHandle, id: &CommunityId, thread: &ThreadId, count: usize) {
    eventually("the messages to arrive", WAIT, || async {
        handle
            .thread(id.clone(), thread.clone(), false)
            .await
            .is_ok_and(|read| read.view.messages.len() == count)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_replies_and_answers_are_told_once_and_a_muted_channel_never() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (node(da.path()).await, node(db.path()).await);
    let (ha, hb) = (a.handle(), b.handle());
    let id = found(&ha, "Family Hub").await;
    invite_and_join(&ha, &hb, &id, "Bea").await;
    let bea = hb.me(id.clone()).await.unwrap().unwrap();
    // Answers marked before Bea's device first looked are not news.
    assert!(
        hb.notices(id.clone(), DocKey::Conversations)
            .await
            .unwrap()
            .is_empty()
    );

    // Bea asks; Alex (the other node) replies twice, mentioning her once.
    let thread = ThreadId::generate();
    hb.converse(
        id.clone(),
        Converse::StartThread(NewThread {
            id: thread.clone(),
            first: MessageId::generate(),
            channel: ChannelId::new(GENERAL),
            title: "Benefits appeal".into(),
            text: "Has anyone helped a family appeal?".into(),
            question: true,
            tags: vec![],
            mentions: vec![],
            theme: None,
        }),
    )
    .await
    .unwrap();
    until_messages(&ha, &id, &thread, 1).await;
    let (answer, first) = reply(&thread, "Yes: the welfare rights team", vec![]);
    ha.converse(id.clone(), first).await.unwrap();
    let (_, second) = reply(&thread, "@Bea they are on Tuesdays", vec![bea.clone()]);
    ha.converse(id.clone(), second).await.unwrap();
    until_messages(&hb, &id, &thread, 3).await;

    let key = DocKey::Thread(thread.clone());
    let told = hb.notices(id.clone(), key.clone()).await.unwrap();
    let kinds: Vec<NoticeKind> = told.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoticeKind::Reply, NoticeKind::Mention]);
    assert_eq!(told[0].title, "Benefits appeal");
    assert_eq!(told[0].by.as_deref(), Some("Alex"));
    assert_eq!(told[1].excerpt, "@Bea they are on Tuesdays");
    // Told once; Alex's own device is told nothing of what he wrote.
    assert!(
        hb.notices(id.clone(), key.clone())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        ha.notices(id.clone(), key.clone())
            .await
            .unwrap()
            .is_empty()
    );

    // Alex marks his reply as the answer: Bea's device tells it, once.
    ha.converse(
        id.clone(),
        Converse::MarkAnswered {
            thread: thread.clone(),
            answer: Some(answer.clone()),
        },
    )
    .await
    .unwrap();
    eventually("the answer to arrive", WAIT, || async {
        hb.conversations(id.clone())
            .await
            .is_ok_and(|index| index.thread(&thread).is_some_and(|t| t.answer.is_some()))
    })
    .await;
    let told = hb.notices(id.clone(), DocKey::Conversations).await.unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].kind, NoticeKind::Answer);
    assert_eq!(told[0].excerpt, "Yes: the welfare rights team");
    assert!(
        hb.notices(id.clone(), DocKey::Conversations)
            .await
            .unwrap()
            .is_empty()
    );

    // Shown on screen first: nothing left to tell.
    let (_, third) = reply(&thread, "@Bea and bring the letter", vec![bea.clone()]);
    ha.converse(id.clone(), third).await.unwrap();
    until_messages(&hb, &id, &thread, 4).await;
    hb.thread(id.clone(), thread.clone(), true).await.unwrap();
    assert!(
        hb.notices(id.clone(), key.clone())
            .await
            .unwrap()
            .is_empty()
    );

    // Muted on Bea's device: a mention there is not told; unmuted, the next one is.
    let muted = hb
        .mute(id.clone(), ChannelId::new(GENERAL), true)
        .await
        .unwrap();
    assert!(muted.contains(&ChannelId::new(GENERAL)));
    assert!(
        hb.unread(id.clone())
            .await
            .unwrap()
            .muted
            .contains(&ChannelId::new(GENERAL))
    );
    let (_, fourth) = reply(&thread, "@Bea one more thing", vec![bea.clone()]);
    ha.converse(id.clone(), fourth).await.unwrap();
    until_messages(&hb, &id, &thread, 5).await;
    assert!(
        hb.notices(id.clone(), key.clone())
            .await
            .unwrap()
            .is_empty()
    );
    hb.mute(id.clone(), ChannelId::new(GENERAL), false)
        .await
        .unwrap();
    let (_, fifth) = reply(&thread, "@Bea see you then", vec![bea]);
    ha.converse(id.clone(), fifth).await.unwrap();
    until_messages(&hb, &id, &thread, 6).await;
    let told = hb.notices(id.clone(), key).await.unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].excerpt, "@Bea see you then");

    a.shutdown().await;
    b.shutdown().await;
}
