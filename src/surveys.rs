//! The `survey` and `story` commands.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Result, anyhow, bail};
use commonroom_model::commands::{NewQuestion, NewStory, NewSurvey};
use commonroom_model::entities::Answer;
use commonroom_model::insight::{Tally, survey_results};
use commonroom_model::{Command, Cycle, EntityKind, EventId, QuestionKind, StoryId, SurveyId};

use crate::backend::{Backend, Target};
use crate::cli::{StoryAction, SurveyAction};

/// Parses `KIND:TEXT[:OPTION|OPTION...]`.
fn question(spec: &str) -> Result<NewQuestion> {
    let mut parts = spec.splitn(3, ':');
    let kind = parts.next().unwrap_or_default();
    let kind: QuestionKind = kind
        .parse()
        .map_err(|e: String| anyhow!("question kind {e}"))?;
    let text = parts
        .next()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| anyhow!("a question is KIND:TEXT[:OPTION|OPTION], got {spec:?}"))?;
    let options = parts
        .next()
        .map(|o| {
            o.split('|')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(NewQuestion {
        text: text.trim().to_owned(),
        kind,
        options,
    })
}

/// Runs a `survey` command.
pub fn survey(backend: &mut dyn Backend, action: SurveyAction, out: &mut dyn Write) -> Result<()> {
    match action {
        SurveyAction::Add {
            community,
            title,
            description,
            questions,
        } => {
            let session = Target::open(backend, &community)?;
            let questions = questions
                .iter()
                .map(|q| question(q))
                .collect::<Result<Vec<_>>>()?;
            let applied = session.apply(Command::AddSurvey(NewSurvey {
                id: SurveyId::generate(),
                title,
                description,
                questions,
            }))?;
            writeln!(out, "{}", applied.id)?;
        }
        SurveyAction::Answer {
            community,
            survey,
            answers,
            member,
        } => {
            let session = Target::open(backend, &community)?;
            let id = SurveyId::new(session.resolve_id(EntityKind::Survey, &survey)?);
            let member = match member {
                Some(m) => session.resolve_member(&m)?,
                None => session.require_me()?,
            };
            let view = session.view()?;
            let stored = view
                .surveys
                .get(&id)
                .ok_or_else(|| anyhow!("no such survey"))?;
            let mut parsed = BTreeMap::new();
            for answer in answers {
                let (number, value) = answer
                    .split_once('=')
                    .ok_or_else(|| anyhow!("an answer is NUMBER=VALUE, got {answer:?}"))?;
                let number: u32 = number
                    .trim()
                    .parse()
                    .map_err(|_| anyhow!("{number:?} is not a question number"))?;
                let key = format!("{number:03}");
                let question = stored
                    .questions
                    .get(&key)
                    .ok_or_else(|| anyhow!("the survey has no question {number}"))?;
                let value = value.trim();
                let answer = match question.kind {
                    QuestionKind::Scale => Answer {
                        scale: Some(value.parse().map_err(|_| {
                            anyhow!("question {number} wants a number from 1 to 5")
                        })?),
                        ..Default::default()
                    },
                    QuestionKind::Single | QuestionKind::Multiple => Answer {
                        choices: value
                            .split('|')
                            .map(|c| c.trim().to_owned())
                            .filter(|c| !c.is_empty())
                            .collect(),
                        ..Default::default()
                    },
                    QuestionKind::Text | QuestionKind::Other(_) => Answer {
                        text: Some(value.to_owned()),
                        ..Default::default()
                    },
                };
                parsed.insert(key, answer);
            }
            session.apply(Command::AnswerSurvey {
                survey: id.clone(),
                member,
                answers: parsed,
            })?;
            writeln!(out, "{id}")?;
        }
        SurveyAction::Results { community, survey } => {
            let session = Target::open(backend, &community)?;
            let id = SurveyId::new(session.resolve_id(EntityKind::Survey, &survey)?);
            let view = session.view()?;
            let stored = view
                .surveys
                .get(&id)
                .ok_or_else(|| anyhow!("no such survey"))?;
            writeln!(out, "{} ({} answers)", stored.title, stored.responses.len())?;
            for (index, (question, tally)) in survey_results(stored).into_iter().enumerate() {
                writeln!(out, "{}. {}", index + 1, question.text)?;
                match tally {
                    Tally::Scale { counts, mean } => {
                        for (value, count) in counts.iter().enumerate() {
                            writeln!(out, "   {}: {count}", value + 1)?;
                        }
                        if let Some(mean) = mean {
                            writeln!(out, "   mean: {mean:.1}")?;
                        }
                    }
                    Tally::Choices(counts) => {
                        for (option, count) in counts {
                            writeln!(out, "   {option}: {count}")?;
                        }
                    }
                    Tally::Texts(texts) => {
                        for text in texts {
                            writeln!(out, "   - {text}")?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runs a `story` command.
pub fn story(backend: &mut dyn Backend, action: StoryAction, out: &mut dyn Write) -> Result<()> {
    let StoryAction::Add {
        community,
        title,
        text,
        cycles,
        event,
    } = action;
    let session = Target::open(backend, &community)?;
    let cycles = cycles
        .iter()
        .map(|c| c.parse::<Cycle>().map_err(|e| anyhow!("cycle {e}")))
        .collect::<Result<Vec<_>>>()?;
    if cycles.is_empty() {
        bail!("say which cycles of value the story reaches, with --cycle");
    }
    let event = event
        .map(|e| session.resolve_id(EntityKind::Event, &e).map(EventId::new))
        .transpose()?;
    let applied = session.apply(Command::AddStory(NewStory {
        id: StoryId::generate(),
        title,
        text,
        cycles,
        event,
        resources: Vec::new(),
    }))?;
    writeln!(out, "{}", applied.id)?;
    Ok(())
}
