//! Surveys: answer offline, see results as charts that update as answers sync in, and
//! build a new survey.

use std::collections::BTreeMap;

use commonroom_model::commands::{NewQuestion, NewSurvey};
use commonroom_model::entities::{Answer, Question, Survey};
use commonroom_model::insight::{Tally, survey_results};
use commonroom_model::{Command, QuestionKind, SurveyId};
use egui::Ui;

use crate::charts::bars_ui;
use crate::here::Here;
use crate::widgets::{card_frame, labelled_multiline, labelled_text, primary_button, split_list};

/// The surveys screen's state.
#[derive(Default)]
pub struct SurveysScreen {
    /// The selected survey.
    pub selected: Option<SurveyId>,
    /// My answers being filled in, by question key.
    pub draft: BTreeMap<String, Answer>,
    /// The survey the draft belongs to.
    draft_for: Option<SurveyId>,
    /// An open "new survey" form.
    pub form: Option<SurveyForm>,
}

/// Where this screen's form comes back from when its change fails.
const FORM: &str = "surveys.form";

/// The "new survey" form.
#[derive(Clone, Debug, Default)]
pub struct SurveyForm {
    /// Title.
    pub title: String,
    /// What it is for.
    pub description: String,
    /// Questions: kind, text, options (comma separated).
    pub questions: Vec<(QuestionKind, String, String)>,
    /// Why the last save was refused.
    pub error: Option<String>,
}

impl SurveysScreen {
    /// Draws the surveys screen.
    pub fn surveys_ui(&mut self, ui: &mut Ui, here: &mut Here<'_>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("Surveys");
            if ui.button("➕ New survey").on_hover_text("Ctrl+N").clicked() {
                self.start_new();
            }
        });
        ui.separator();
        if let Some(form) = here.take_returned::<SurveyForm>(FORM) {
            // Its change failed (the notice says why): the form comes back as it was.
            self.form = Some(form);
        }
        if let Some(form) = &mut self.form {
            if form_ui(ui, form, here) {
                self.form = None;
            }
            return;
        }
        let mut surveys: Vec<&Survey> = here.view.surveys.values().filter(|s| !s.deleted).collect();
        surveys.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        if self
            .selected
            .as_ref()
            .is_none_or(|id| !here.view.surveys.contains_key(id))
        {
            self.selected = surveys.first().map(|s| s.id.clone());
        }
        egui::Panel::left("survey_list")
            .resizable(true)
            .default_size(220.0)
            .show(ui, |ui| {
                if surveys.is_empty() {
                    ui.weak("No surveys yet.");
                }
                for survey in &surveys {
                    let text = format!(
                        "{} ({})",
                        survey.title,
                        crate::widgets::count(survey.responses.len(), "answer", "answers")
                    );
                    if ui
                        .selectable_label(self.selected.as_ref() == Some(&survey.id), text)
                        .clicked()
                    {
                        self.selected = Some(survey.id.clone());
                    }
                }
            });
        let Some(survey) = self
            .selected
            .as_ref()
            .and_then(|id| here.view.surveys.get(id))
        else {
            return;
        };
        egui::ScrollArea::vertical()
            .id_salt("survey_page")
            .show(ui, |ui| {
                ui.heading(&survey.title);
                if !survey.description.is_empty() {
                    ui.label(&survey.description);
                }
                self.answer_ui(ui, survey, here);
                ui.separator();
                results_ui(ui, survey);
            });
    }

    /// Opens an empty "new survey" form with one question.
    pub fn start_new(&mut self) {
        self.form = Some(SurveyForm {
            questions: vec![(QuestionKind::Scale, String::new(), String::new())],
            ..Default::default()
        });
    }

    fn answer_ui(&mut self, ui: &mut Ui, survey: &Survey, here: &mut Here<'_>) {
        let Some(me) = here.me.cloned() else { return };
        if self.draft_for.as_ref() != Some(&survey.id) {
            self.draft_for = Some(survey.id.clone());
            self.draft = survey
                .responses
                .get(&me)
                .map(|r| r.answers.clone())
                .unwrap_or_default();
        }
        card_frame(ui).show(ui, |ui| {
            ui.strong(if survey.responses.contains_key(&me) {
                "Your answers (you can change them)"
            } else {
                "Your answers"
            });
            for (index, (key, question)) in survey.questions.iter().enumerate() {
                let answer = self.draft.entry(key.clone()).or_default();
                question_ui(ui, index + 1, question, answer);
            }
            if primary_button(ui, "Send my answers").clicked() {
                let answers: BTreeMap<String, Answer> = self
                    .draft
                    .iter()
                    .filter(|(key, a)| {
                        survey.questions.get(*key).is_some_and(|q| match q.kind {
                            QuestionKind::Scale => a.scale.is_some(),
                            QuestionKind::Single | QuestionKind::Multiple => !a.choices.is_empty(),
                            _ => a.text.as_ref().is_some_and(|t| !t.trim().is_empty()),
                        })
                    })
                    .map(|(k, a)| (k.clone(), a.clone()))
                    .collect();
                here.send(
                    "Answers sent",
                    Command::AnswerSurvey {
                        survey: survey.id.clone(),
                        member: me.clone(),
                        answers,
                    },
                );
            }
        });
    }
}

fn question_ui(ui: &mut Ui, number: usize, question: &Question, answer: &mut Answer) {
    ui.label(format!("{number}. {}", question.text));
    ui.horizontal_wrapped(|ui| match question.kind {
        QuestionKind::Scale => {
            for value in 1..=5 {
                if ui
                    .radio(answer.scale == Some(value), value.to_string())
                    .clicked()
                {
                    answer.scale = Some(value);
                }
            }
        }
        QuestionKind::Single => {
            for option in &question.options {
                let on = answer.choices.first() == Some(option);
                if ui.radio(on, option).clicked() {
                    answer.choices = vec![option.clone()];
                }
            }
        }
        QuestionKind::Multiple => {
            for option in &question.options {
                let mut on = answer.choices.contains(option);
                if ui.checkbox(&mut on, option).changed() {
                    if on {
                        answer.choices.push(option.clone());
                    } else {
                        answer.choices.retain(|c| c != option);
                    }
                }
            }
        }
        QuestionKind::Text | QuestionKind::Other(_) => {
            let text = answer.text.get_or_insert_with(String::new);
            ui.add(egui::TextEdit::singleline(text).desired_width(360.0))
                .on_hover_text(&question.text);
        }
    });
}

/// Every question's results: charts for scales and choices, the texts for free answers.
pub fn results_ui(ui: &mut Ui, survey: &Survey) {
    ui.strong(format!(
        "Results ({})",
        crate::widgets::count(survey.responses.len(), "answer", "answers")
    ));
    for (index, (question, tally)) in survey_results(survey).into_iter().enumerate() {
        ui.label(format!("{}. {}", index + 1, question.text));
        let id = format!("{}-{index}", survey.id);
        match tally {
            Tally::Scale { counts, mean } => {
                let values: Vec<(String, f64)> = counts
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ((i + 1).to_string(), *c as f64))
                    .collect();
                bars_ui(ui, &id, &values);
                if let Some(mean) = mean {
                    ui.label(format!("Average {mean:.1} out of 5"));
                }
            }
            Tally::Choices(counts) => {
                let values: Vec<(String, f64)> =
                    counts.into_iter().map(|(o, c)| (o, c as f64)).collect();
                bars_ui(ui, &id, &values);
            }
            Tally::Texts(texts) => {
                for text in texts {
                    ui.label(format!("“{text}”"));
                }
            }
        }
        ui.add_space(crate::theme::space::S);
    }
}

fn form_ui(ui: &mut Ui, form: &mut SurveyForm, here: &mut Here<'_>) -> bool {
    ui.heading("New survey");
    labelled_text(ui, "Survey title", &mut form.title);
    labelled_multiline(ui, "What it is for", &mut form.description, 2);
    let mut remove = None;
    for (index, (kind, text, options)) in form.questions.iter_mut().enumerate() {
        card_frame(ui).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(format!("Question {} kind", index + 1));
                egui::ComboBox::from_id_salt(("question_kind", index))
                    .selected_text(kind.label().to_owned())
                    .show_ui(ui, |ui| {
                        for k in QuestionKind::ALL {
                            ui.selectable_value(kind, k.clone(), k.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if ui.small_button("Remove question").clicked() {
                    remove = Some(index);
                }
            });
            labelled_text(ui, &format!("Question {}", index + 1), text);
            if matches!(kind, QuestionKind::Single | QuestionKind::Multiple) {
                labelled_text(
                    ui,
                    &format!("Question {} options (comma separated)", index + 1),
                    options,
                );
            }
        });
    }
    if let Some(index) = remove {
        form.questions.remove(index);
    }
    if ui.button("➕ Add question").clicked() {
        form.questions
            .push((QuestionKind::Text, String::new(), String::new()));
    }
    if let Some(error) = &form.error {
        crate::theme::form_error(ui, error);
    }
    let mut done = false;
    ui.horizontal_wrapped(|ui| {
        if primary_button(ui, "Save survey").clicked() {
            if form.title.trim().is_empty()
                || form.questions.iter().any(|(_, t, _)| t.trim().is_empty())
            {
                form.error = Some("Give the survey a title and every question some text.".into());
            } else {
                here.send_keeping(
                    "Survey saved",
                    Command::AddSurvey(NewSurvey {
                        id: SurveyId::generate(),
                        title: form.title.trim().into(),
                        description: form.description.trim().into(),
                        questions: form
                            .questions
                            .iter()
                            .map(|(kind, text, options)| NewQuestion {
                                text: text.trim().into(),
                                kind: kind.clone(),
                                options: split_list(options),
                            })
                            .collect(),
                    }),
                    FORM,
                    form.clone(),
                );
                done = true;
            }
        }
        if ui.button("Cancel").clicked() {
            done = true;
        }
    });
    done
}
