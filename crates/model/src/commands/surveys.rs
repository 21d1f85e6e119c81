//! Surveys: questions put to the community, and members' answers.

use std::collections::BTreeMap;

use crate::change_label::{Subject, Verb};
use crate::doc::CommunityDoc;
use crate::entities::{Answer, Question, Response, Round, Survey};
use crate::error::{CommandError, EntityKind};
use crate::ids::{MemberId, SurveyId};
use crate::labels::QuestionKind;
use crate::permissions::Permission;

use super::clean::{MAX_TEXT_CHARS, clean_long, clean_name, clean_text};
use super::{Ctx, Rule};

/// A survey question to add.
#[derive(Clone, Debug)]
pub struct NewQuestion {
    /// The question.
    pub text: String,
    /// Its kind.
    pub kind: QuestionKind,
    /// Options for a choice question.
    pub options: Vec<String>,
}

/// A survey to add.
#[derive(Clone, Debug)]
pub struct NewSurvey {
    /// The new survey's id.
    pub id: SurveyId,
    /// Title.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// The questions, in order.
    pub questions: Vec<NewQuestion>,
}

/// `survey.add`: any member may add a survey.
pub(super) const ADD: Rule<'static> = Rule::new(Subject::Survey, Verb::Add, Permission::AnyMember);
/// `survey.answer`: any member may record an answer.
pub(super) const ANSWER: Rule<'static> =
    Rule::new(Subject::Survey, Verb::Answer, Permission::AnyMember);

/// Adds a survey of 1 to 100 questions.
pub(super) fn add(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    new: NewSurvey,
) -> Result<String, CommandError> {
    doc.require_new(EntityKind::Survey, new.id.as_str())?;
    if new.questions.is_empty() || new.questions.len() > 100 {
        return Err(CommandError::Invalid {
            field: "questions",
            reason: "a survey has between 1 and 100 questions".into(),
        });
    }
    let mut questions = BTreeMap::new();
    for (index, q) in new.questions.into_iter().enumerate() {
        let mut options: Vec<String> = Vec::new();
        for option in &q.options {
            let option = clean_name("option", option)?;
            if !options.contains(&option) {
                options.push(option);
            }
        }
        let choice = matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple);
        if choice && options.len() < 2 {
            return Err(CommandError::Invalid {
                field: "options",
                reason: format!("question {} needs at least two options", index + 1),
            });
        }
        if matches!(q.kind, QuestionKind::Other(_)) {
            return Err(CommandError::Invalid {
                field: "kind",
                reason: "unknown question kind".into(),
            });
        }
        questions.insert(
            Round::key(index as u32 + 1),
            Question {
                text: clean_text("question", &q.text, MAX_TEXT_CHARS)?,
                kind: q.kind,
                options: if choice { options } else { Vec::new() },
            },
        );
    }
    let survey = Survey {
        title: clean_name("title", &new.title)?,
        description: clean_long("description", &new.description)?,
        questions,
        responses: BTreeMap::new(),
        created_by: ctx.by.clone(),
        created_at: ctx.now,
        deleted: false,
        id: new.id,
    };
    doc.put(&survey)?;
    Ok(survey.id.to_string())
}

/// Records a member's answers (replacing an earlier answer); each must fit its question.
pub(super) fn answer(
    doc: &mut CommunityDoc,
    ctx: &Ctx,
    survey: SurveyId,
    member: MemberId,
    answers: BTreeMap<String, Answer>,
) -> Result<String, CommandError> {
    let mut stored = doc.require_live::<Survey>(survey.as_str())?;
    doc.require_active_member(&member)?;
    let mut cleaned = BTreeMap::new();
    for (key, answer) in answers {
        let question = stored
            .questions
            .get(&key)
            .ok_or_else(|| CommandError::Invalid {
                field: "answers",
                reason: format!("the survey has no question {key}"),
            })?;
        let ok = match question.kind {
            QuestionKind::Scale => answer.scale.is_some_and(|v| (1..=5).contains(&v)),
            QuestionKind::Single => {
                answer.choices.len() == 1 && question.options.contains(&answer.choices[0])
            }
            QuestionKind::Multiple => answer.choices.iter().all(|c| question.options.contains(c)),
            QuestionKind::Text | QuestionKind::Other(_) => answer
                .text
                .as_ref()
                .is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= MAX_TEXT_CHARS),
        };
        if !ok {
            return Err(CommandError::Invalid {
                field: "answers",
                reason: format!(
                    "the answer to \"{}\" does not fit the question",
                    question.text
                ),
            });
        }
        cleaned.insert(key, answer);
    }
    stored.responses.insert(
        member,
        Response {
            answers: cleaned,
            at: ctx.now,
        },
    );
    doc.put(&stored)?;
    Ok(survey.to_string())
}
