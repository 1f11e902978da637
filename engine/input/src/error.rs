//! [`InputError`]: why an input file could not be read, with where it broke.

use std::fmt;

use crate::{FORMAT_NAMES, InputFormat};

/// An input file that could not be turned into a [`Stack`](palisade_model::model::Stack).
///
/// Its `Display` is one paragraph that starts with the file name, says where
/// the input broke (byte offset, line and column, or JSON path) and what was
/// expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The input as given by the user (`-` for standard input).
    pub file: String,
    /// The format the input was being read as, once known.
    pub format: Option<InputFormat>,
    /// What went wrong.
    pub kind: InputErrorKind,
}

/// The kinds of [`InputError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputErrorKind {
    /// Bytes that are not UTF-8 (nor UTF-16 with a byte-order mark).
    Encoding {
        /// Byte offset of the first bad byte in the file.
        offset: usize,
        /// Which encoding was being decoded.
        detail: String,
    },
    /// JSON syntax error; `line` and `column` are 1-based, in the file.
    Json {
        /// Line of the error (the file's line number for event logs).
        line: usize,
        /// Column of the error.
        column: usize,
        /// The parser's message.
        detail: String,
    },
    /// Valid JSON of the wrong structure.
    Shape {
        /// The line of the document in an event log (one JSON value per line).
        line: Option<usize>,
        /// JSON path of the offending value, e.g. `$.resource_changes[3].change.actions`.
        json_path: String,
        /// What was expected there.
        expected: String,
        /// What was found there.
        found: String,
    },
    /// The format could not be detected.
    UnknownFormat {
        /// What the document looks like: its top-level keys or its JSON type.
        seen: String,
    },
    /// A recognised format that Palisade does not read yet, e.g. "CloudFormation templates".
    Unsupported {
        /// The format's name, plural, e.g. "CloudFormation templates".
        what: String,
    },
    /// A known format in a version Palisade does not read.
    UnsupportedVersion {
        /// The version field, e.g. `$.version`.
        field: String,
        /// The version found.
        seen: String,
        /// The versions accepted.
        accepted: String,
    },
    /// Two resources of one input share an address (or URN).
    DuplicateAddress {
        /// The address.
        address: String,
    },
    /// A Terraform plan with `"errored": true`.
    IncompletePlan,
    /// A Pulumi preview whose diagnostics include errors.
    FailedPreview {
        /// The first error diagnostic's message.
        first_error: String,
        /// How many error diagnostics there are.
        errors: usize,
    },
    /// An empty (or whitespace-only) file.
    Empty,
    /// A zip archive: a binary plan as `terraform plan -out` writes it (or
    /// another archive), not its JSON.
    BinaryPlan,
    /// Terraform configuration (a `.tf` or `.tf.json` file), not a plan.
    TerraformConfiguration,
    /// The output of the `hashicorp/setup-terraform` action's wrapper: a
    /// `[command]...` line before the JSON (and workflow commands after it).
    TerraformWrapper,
}

impl InputError {
    /// An error of `kind` in `file`, read as `format`.
    pub fn new(file: &str, format: Option<InputFormat>, kind: InputErrorKind) -> Self {
        InputError { file: file.to_string(), format, kind }
    }

    /// Whether this is a plan or preview that did not finish (Terraform
    /// `errored: true`, a Pulumi preview with error diagnostics).
    pub fn is_incomplete_plan(&self) -> bool {
        matches!(self.kind, InputErrorKind::IncompletePlan | InputErrorKind::FailedPreview { .. })
    }

    fn as_format(&self) -> String {
        match self.format {
            Some(f) => format!(" as {f}"),
            None => String::new(),
        }
    }
}

fn accepted_formats() -> String {
    FORMAT_NAMES.join(", ")
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = &self.file;
        match &self.kind {
            InputErrorKind::Encoding { offset, detail } => write!(
                f,
                "{file}: invalid {detail} at byte offset {offset}; expected text in UTF-8, or in \
                 UTF-16 with a byte-order mark. Save the file as UTF-8."
            ),
            InputErrorKind::Json { line, column, detail } => write!(
                f,
                "{file}: invalid JSON at line {line}, column {column} ({detail}); expected a \
                 well-formed JSON document{}.",
                self.as_format()
            ),
            InputErrorKind::Shape { line, json_path, expected, found } => {
                let at = match line {
                    Some(l) => format!("line {l}, {json_path}"),
                    None => json_path.clone(),
                };
                write!(
                    f,
                    "{file}: unexpected structure at {at} while reading it{}: expected \
                     {expected}, found {found}.",
                    self.as_format()
                )
            }
            InputErrorKind::UnknownFormat { seen } => write!(
                f,
                "{file}: could not tell the input format ({seen}); expected a Terraform plan \
                 (`terraform show -json`), a Terraform state (version 4), a Pulumi stack export, \
                 a Pulumi preview (`pulumi preview --json`), a Pulumi event log or a Palisade \
                 inventory snapshot. `palisade check` takes the format with `--input-format` \
                 (one of {}).",
                accepted_formats()
            ),
            InputErrorKind::Unsupported { what } => {
                write!(f, "{file}: {what} are not supported yet; Palisade reads {}.", accepted_formats())
            }
            InputErrorKind::UnsupportedVersion { field, seen, accepted } => write!(
                f,
                "{file}: unsupported version at {field}{}: found {seen}, expected {accepted}.",
                self.as_format()
            ),
            InputErrorKind::DuplicateAddress { address } => write!(
                f,
                "{file}: two resources have the address {address:?}{}; expected every address \
                 (or URN) to be unique, as Terraform, Pulumi and Palisade write them.",
                self.as_format()
            ),
            InputErrorKind::IncompletePlan => write!(
                f,
                "{file}: the plan is incomplete (errored: true); Terraform could not finish \
                 planning, so it cannot be checked. Fix the plan errors and run terraform plan \
                 again."
            ),
            InputErrorKind::FailedPreview { first_error, errors } => write!(
                f,
                "{file}: the preview failed ({errors} error diagnostic(s), the first: {first_error:?}), so \
                 it is incomplete and cannot be checked. Fix the errors and run pulumi preview again."
            ),
            InputErrorKind::Empty if self.format == Some(InputFormat::Inventory) => {
                write!(f, "{file}: the file is empty; expected an inventory snapshot (`palisade scan --output`).")
            }
            kind @ (InputErrorKind::BinaryPlan
            | InputErrorKind::TerraformConfiguration
            | InputErrorKind::TerraformWrapper) => write_mistake(f, file, kind),
            InputErrorKind::Empty => write!(
                f,
                "{file}: the file is empty; expected a JSON document (a Terraform plan or \
                 state, a Pulumi export, preview or event log, or an inventory snapshot)."
            ),
        }
    }
}

/// The message of an input that is a common mistake (not an input of any
/// format), saying what to run instead.
fn write_mistake(f: &mut fmt::Formatter<'_>, file: &str, kind: &InputErrorKind) -> fmt::Result {
    match kind {
        InputErrorKind::BinaryPlan => write!(
            f,
            "{file}: a binary file (a zip archive, as `terraform plan -out` writes), not JSON; \
             Palisade reads a plan's JSON: run `terraform show -json {file} > plan.json` and \
             check plan.json."
        ),
        InputErrorKind::TerraformConfiguration => write!(
            f,
            "{file}: Terraform configuration (`.tf` or `.tf.json`), not a plan; Palisade checks plans: in the \
             configuration's folder run `terraform plan -out=tfplan`, then `terraform show \
             -json tfplan > plan.json`, and check plan.json (`--source-dir` points findings \
             at the .tf files)."
        ),
        InputErrorKind::TerraformWrapper => write!(
            f,
            "{file}: output of the hashicorp/setup-terraform wrapper (its first line is \
             `[command]...`), not the plan's JSON alone; set `terraform_wrapper: false` on the \
             setup-terraform step so that `terraform show -json` writes only JSON."
        ),
        _ => Ok(()),
    }
}
